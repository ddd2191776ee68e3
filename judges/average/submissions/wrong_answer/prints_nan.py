# `nan` is not a float in the format's grammar: rejected against a numeric answer.
input(); input()
print("nan")
