#!/bin/bash
# HOSTILE (shell, dangerous): the classic bash fork bomb.
# Must get: --pids 32 --time 1 --wall-time 3: time_limit_exceeded or wall_time_limit_exceeded
# (bash children block in fork retries, so which clock ends it depends on the scheduler);
# nothing is left on the host.
b() { b | b & }
b
wait
