"""Passwords: argon2id hashes, and the rules a new password must pass."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from gis.errors import Invalid

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
# argon2id with argon2-cffi's defaults: RFC 9106's low-memory profile (t=3, 64 MiB, p=4).
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


#: The lowest zxcvbn score accepted (0–4; 3 is "safely unguessable: moderate protection from an
#: offline slow-hash scenario", which is what an argon2id hash in a stolen database faces).
MIN_STRENGTH = 3
#: zxcvbn judges at most 72 characters (its run time grows with the length): past them only the
#: start is judged, and a long passphrase's start is strong enough.
STRENGTH_JUDGED = 72


def check_password(password: str, username: str, *, user_inputs: tuple[str, ...] = ()) -> None:
    """Refuse passwords that are too short, too long, contain the user name or are easy to
    guess (zxcvbn, Dropbox's strength estimator: dictionary words, keyboard rows, repeats,
    sequences, dates and common passwords, each counted as the few guesses it takes)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符 "
            f"(a password needs at least {MIN_PASSWORD_LENGTH} characters)"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(
            f"密码最多 {MAX_PASSWORD_LENGTH} 个字符 "
            f"(a password has at most {MAX_PASSWORD_LENGTH} characters)"
        )
    if username and username.lower() in password.lower():
        raise Invalid("密码不能包含用户名 (a password must not contain the user name)")
    judged = zxcvbn(password[:STRENGTH_JUDGED], user_inputs=[username, *user_inputs])
    if judged["score"] < MIN_STRENGTH:
        raise Invalid(
            "密码太容易被猜到：请避开常见密码、键盘连续键、重复或顺序字符，"
            "可用几个不相关的词加数字或符号 (the password is too easy to guess: avoid common "
            "passwords, keyboard rows, repeats and sequences; several unrelated words with "
            "digits or signs work well)",
            strength=int(judged["score"]),
        )
