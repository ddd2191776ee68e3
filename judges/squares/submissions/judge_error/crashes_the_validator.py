# Prints the marker on which check_square/validate.cpp calls abort(): a crashed
# validator is judge_error (the package's fault), not a verdict on this submission.
print("crash-the-validator")
