"""WeChat message signatures (constant-time) and AES message encryption."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
import time

from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException


class SignatureError(Exception):
    """The request was not signed with our token."""


class ForeignAppError(Exception):
    """The encrypted message was for another AppId."""


class DecryptError(Exception):
    """The Encrypt field is not something our key can open."""


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def verify(expected_parts: tuple[str, ...], signature: str | None) -> None:
    if not signature or not hmac.compare_digest(sign(*expected_parts), signature.lower()):
        raise SignatureError()


class MessageCrypto:
    """Compatible and safe mode: the Encrypt envelope, keyed by EncodingAESKey and AppId."""

    def __init__(self, token: str, encoding_aes_key: str, app_id: str):
        self.token = token
        self.app_id = app_id
        self._key = base64.b64decode(encoding_aes_key + "=")

    def decrypt(self, encrypt: str, msg_signature: str | None, timestamp: str, nonce: str) -> str:
        verify((self.token, timestamp, nonce, encrypt), msg_signature)
        try:
            return PrpCrypto(self._key).decrypt(encrypt, self.app_id)
        except InvalidAppIdException:
            raise ForeignAppError() from None
        except (binascii.Error, ValueError, struct.error, IndexError, UnicodeDecodeError,
                TypeError) as exc:
            raise DecryptError(str(exc)) from None

    def encrypt(self, xml: str, nonce: str | None = None, timestamp: str | None = None) -> str:
        nonce = nonce or secrets.token_hex(8)
        timestamp = timestamp or str(int(time.time()))
        encrypt = PrpCrypto(self._key).encrypt(xml, self.app_id).decode("ascii")
        signature = sign(self.token, timestamp, nonce, encrypt)
        return ("<xml><Encrypt><![CDATA[{e}]]></Encrypt><MsgSignature><![CDATA[{s}]]></MsgSignature>"
                "<TimeStamp>{t}</TimeStamp><Nonce><![CDATA[{n}]]></Nonce></xml>").format(
                    e=encrypt, s=signature, t=timestamp, n=nonce)
