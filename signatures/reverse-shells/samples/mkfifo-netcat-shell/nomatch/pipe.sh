#!/bin/sh
mkfifo /tmp/progress; tail -f /tmp/progress | tee build.log
