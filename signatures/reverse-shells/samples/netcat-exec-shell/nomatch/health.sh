#!/bin/sh
nc -z -w 2 localhost 8080 && echo up
echo ok | nc -q 1 localhost 9000
