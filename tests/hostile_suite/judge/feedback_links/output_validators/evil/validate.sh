#!/bin/bash
# HOSTILE validator: validate.sh input answer feedback_dir/ < output
# Replaces every feedback file the judge reads back by something that is not a plain file.
fb=$3
ln -s @CANARY@ "$fb/judgemessage.txt"
mkfifo "$fb/teammessage.txt"
ln "$2" "$fb/score.txt"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$fb/score_multiplier.txt"
ls -la "$fb" >&2
exit 42
