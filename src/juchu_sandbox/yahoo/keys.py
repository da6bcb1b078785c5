"""The sandbox store's key pair and the public-key signature check (``X-sws-signature``).

The private key below exists only for the sandbox: its public half is the demo store's ``public_key``
(``juchu.connectors.malls.yahoo.demo.PUBLIC_KEY``). It protects nothing.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

KEY_VERSION = "1"
#: How far the signed unixtime may be from the emulator's clock, in seconds.
SIGNATURE_WINDOW = 600

PRIVATE_KEY_PEM = b"""-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCimftEUgyiHR3N
TgCetVrQVmGEFk3BwtJumbJraJaEjoyjnL3BMoxngZ1eFwAhbbdiOwkcslejyHlt
l4ADzfPuEY3ADLbOpWptTxDns3IVpLfponuH8abd7BlCX8zvb1XnEILDDuEheDWV
CMQa3StvM2V8WqRGYxxTWa7JTj3KZYibKZdBdbBJBQiW24zizfGukBydmfKNQ8ll
3ie8cNYhrRo7o1/ErJl5JvV9RFPDA6enrBGr4W9mN0gqqXjM5w1b5aeq3wquW5nY
sPAbQt1jTf2BiUGMGD3XpaiBKcdNv7AwmYw0nY30ydIw9eLOzq2fKVWie9qOxh1m
ZIfA9VAfAgMBAAECggEAMlCSm3wGM73txGNQNswoi1JHf5+FNSFri1TdDHaDKQaR
R2mPoDJblwXZI83bOPzh47Af7DTVgLVeucZJEyROSIs/AUAN61jtW2C9eu0grsjX
LiEct57Tw1U1JcBOQoMBomwOAnzetkQj1Hevcx6gO5s8WqQTtEIj+DjGqL0gyrls
oFcnmpG/FUOwECRem9WGU++qfK2l+0Jh8/pHnSL8xRT6OzIK1TIYbAighKJfg5xc
8vkbDZC79xKtzBOm0JMqZab55RNaGniSd2tcENo+YIVjJqpuiIbXb8XmSsc+zOAf
gLW4HXNyXZNngkeN/dPPGKN/FtycVbXFTvuBPYJngQKBgQDf/AupugiJeeaW69Af
aRyq6Zk8vPs7ogPL/g6AknIwUNKUFFw/mrC2zwfGEchG+1veG1qnfiBfM/aC64CU
T0FeN6c5qnxvwEAyEvuvS7mV8hfAkac0KNZnNzJbXlk+nEY1eIDlLlTZtaF6gJ28
tPifBHETIR/4ZYuvDNNUpP3nnwKBgQC519TEwIMaIoUADTzww68XLDM6lg6bo/qa
BZPpJGuNdS8vvIq+V0DFVP56FCmL7mE7uwMQ7yM2FQVylZGeglSvbYtYOAbeChDq
e7rNKdDz8LAUJkok1Ir2Ae6JykJ5M91QhUVcb5oPIULztS2pJdma8QHSI2SKbeyp
yOp26qnHgQKBgDzFEJEDJU/PYA2wey4agampaWb+SxeZ1HfjPSILGaocM5XzlDe5
i5p9vzkxF+qSRhGT0FvDL5tE6OwKYz9Z5X1fkiJmLA7R1VkAp4KfBAI3xdP8cKYJ
MmqcojACACqpka7uO+JyWJkc22v2O1W4r//M37T19suZGXXr/+ZmQXE3AoGBALNy
1v6NLYqk3mwoXDnXmk/z3BusHbrn4emrjSFIi5nyF3guxIH62o4w/fB/W4bEzZrR
f6pwXz2vmq0EA7JdAszKKA0tPGRWr/LbOos035FNTZiHSHy7xtq5Ds56QSmrjP5d
UZZqJQaLBY0x2z9DTxWvtiRlDIYmkql3Wf8tpHcBAoGAQymIA17KlXpy2Me9rHqS
/ieihKuFYL7TDxHYHxqG7HM4AIAX1elvRkLAwl6PhGo9oXiYvwzP86JjIp/BeC2i
vkTca5z4+wWrFyc6HEC3ao2oN+9bqt3fYczT5P4eqY/Vblbb8RZ5YDiKHb2l0Px+
lKzBe3HA+wfzy7ylnvGX1c0=
-----END PRIVATE KEY-----
"""

_private_key = load_pem_private_key(PRIVATE_KEY_PEM, password=None)
assert isinstance(_private_key, rsa.RSAPrivateKey)
PRIVATE_KEY: rsa.RSAPrivateKey = _private_key


def check_signature(signature: str | None, version: str | None, seller_id: str, now: float) -> str:
    """'' when the signature decrypts to ``<seller_id>:<unixtime>`` within the window, else the reason."""
    if not signature:
        return "X-sws-signature is required"
    if version != KEY_VERSION:
        return f"X-sws-signature-version {version!r} is not the registered key version"
    try:
        sealed = base64.b64decode(signature, validate=True)
        plain = PRIVATE_KEY.decrypt(sealed, padding.PKCS1v15()).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return "X-sws-signature cannot be decrypted with the registered key"
    seller, _, stamp = plain.rpartition(":")
    if seller != seller_id:
        return "X-sws-signature names another seller"
    if not stamp.isdigit() or abs(int(stamp) - now) > SIGNATURE_WINDOW:
        return "X-sws-signature is outside the allowed time window"
    return ""
