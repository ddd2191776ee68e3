# Guesses 1, 2, 3...: the interactor rejects after 10 guesses, then this hangs.
# The interactor rejected first, so the verdict is wrong_answer, not a time limit.
import time
try:
    for g in range(1, 1001):
        print(g, flush=True)
        if input() == "correct":
            break
except EOFError:
    time.sleep(60)
