#!/bin/sh
# wait until the database port answers
until timeout 1 bash -c "</dev/tcp/localhost/5432"; do sleep 1; done
