import time
print(f"Hello, {input().strip()}!", flush=True)
time.sleep(60)
