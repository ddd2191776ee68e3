import sys
print(f"Hello, {input().strip()}!")
sys.exit(1)
