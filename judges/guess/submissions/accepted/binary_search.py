lo, hi = 1, 1000
while True:
    m = (lo + hi) // 2
    print(m, flush=True)
    r = input()
    if r == "correct":
        break
    if r == "higher":
        lo = m + 1
    else:
        hi = m - 1
