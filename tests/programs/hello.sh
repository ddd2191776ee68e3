#!/bin/sh
# hello.sh NAME: a shell program copied into the box with --copy (mode 0755 kept).
# Must get: status ok, stdout "hello NAME from /box\n" (the working directory is /box).
echo "hello $1 from $(pwd)"
