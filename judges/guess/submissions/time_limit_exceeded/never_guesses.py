# Both sides wait for each other: the deadlock ends at the wall-time limit.
import sys
sys.stdin.readline()
