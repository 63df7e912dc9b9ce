"""What a new password must be: long (the body's schema), not the e-mail, not common."""

import gzip
import string
from functools import cache
from pathlib import Path

# The 20 000 passwords most often found in public breaches, lower-case (the list Django
# ships, BSD licence): checked as typed and with trailing digits and symbols taken off.
_COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt.gz")
_ADDED_TO_A_COMMON_ONE = string.digits + string.punctuation + " "
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
# An e-mail's local part shorter than this is too common a string to forbid ("ana").
MIN_FORBIDDEN_LOCAL_PART = 4


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(_COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def weak_password_reason(password: str, email: str) -> str | None:
    """Why `password` may not be the password of the account `email`, or None. (A body's
    schema says the length first, with the field's own message.)"""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return f"The password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters."
    if "\x00" in password:
        return "The password must not contain a NUL character."
    lowered, email = password.lower(), email.strip().lower()
    local_part = email.partition("@")[0]
    if email and (
        email in lowered or (len(local_part) >= MIN_FORBIDDEN_LOCAL_PART and local_part in lowered)
    ):
        return "The password must not contain your e-mail address."
    common = common_passwords()
    if lowered in common or lowered.rstrip(_ADDED_TO_A_COMMON_ONE) in common:
        return "The password is one of the most common passwords; choose another."
    return None
