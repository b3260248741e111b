"""Ed25519 and ECDSA P-256/SHA-256 signing in pure Python (standard library only), for the vector
generators: an implementation independent of hookverify's crates (ed25519-dalek, p256).

Ed25519 follows RFC 8032 section 5.1 (the section 6 reference code's structure); it is checked
against RFC 8032 section 7.1 TEST 1 and TEST 2 when this module is imported. ECDSA follows
SEC 1 v2 section 4.1.3 over the NIST P-256 curve (FIPS 186-4 D.1.2.3); the nonce is derived
deterministically from the key and the message digest (not RFC 6979, which a verifier cannot tell
apart), so generated vectors are reproducible. Slow and not constant time: for test vectors only.
"""

import base64
import hashlib

# ---------------------------------------------------------------- Ed25519 (RFC 8032)

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _add(p, q):
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % _P
    b = (y1 + x1) * (y2 + x2) % _P
    c = 2 * t1 * t2 * _D % _P
    d = 2 * z1 * z2 % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _mul(s, p):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, p)
        p = _add(p, p)
        s >>= 1
    return q


def _recover_x(y, sign):
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P)
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if x & 1 != sign:
        x = _P - x
    return x


_GY = 4 * pow(5, _P - 2, _P) % _P
_GX = _recover_x(_GY, 0)
_G = (_GX, _GY, 1, _GX * _GY % _P)


def _compress(p):
    zinv = pow(p[2], _P - 2, _P)
    x, y = p[0] * zinv % _P, p[1] * zinv % _P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _sha512_int(data):
    return int.from_bytes(hashlib.sha512(data).digest(), "little")


def _expand(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def ed25519_public(seed):
    """The 32-byte public key of a 32-byte seed."""
    a, _ = _expand(seed)
    return _compress(_mul(a, _G))


def ed25519_sign(seed, msg):
    """The 64-byte signature of `msg` under the 32-byte `seed`."""
    a, prefix = _expand(seed)
    public = _compress(_mul(a, _G))
    r = _sha512_int(prefix + msg) % _L
    big_r = _compress(_mul(r, _G))
    h = _sha512_int(big_r + public + msg) % _L
    s = (r + h * a) % _L
    return big_r + int.to_bytes(s, 32, "little")


# RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72).
assert ed25519_public(bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")).hex() == (
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
)
assert ed25519_sign(
    bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"), b"\x72"
).hex() == (
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
)

# ---------------------------------------------------------------- ECDSA P-256 / SHA-256

_PP = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_PA = _PP - 3
_PN = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_PG = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)


def _padd(p, q):
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0] and (p[1] + q[1]) % _PP == 0:
        return None
    if p == q:
        lam = (3 * p[0] * p[0] + _PA) * pow(2 * p[1], _PP - 2, _PP) % _PP
    else:
        lam = (q[1] - p[1]) * pow(q[0] - p[0], _PP - 2, _PP) % _PP
    x = (lam * lam - p[0] - q[0]) % _PP
    return (x, (lam * (p[0] - x) - p[1]) % _PP)


def _pmul(k, p):
    out = None
    while k:
        if k & 1:
            out = _padd(out, p)
        p = _padd(p, p)
        k >>= 1
    return out


def _der_int(v):
    b = v.to_bytes(32, "big").lstrip(b"\x00") or b"\x00"
    if b[0] & 0x80:
        b = b"\x00" + b
    return b"\x02" + bytes([len(b)]) + b


def p256_spki_base64(d):
    """The SubjectPublicKeyInfo (DER, base64) of private scalar `d`, as SendGrid shows its key."""
    x, y = _pmul(d, _PG)
    point = b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")
    # SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING point }
    algo = bytes.fromhex("301306072a8648ce3d020106082a8648ce3d030107")
    bits = b"\x03\x42\x00" + point
    body = algo + bits
    return base64.b64encode(b"\x30" + bytes([len(body)]) + body).decode()


def p256_sign_der(d, msg):
    """A DER ECDSA P-256/SHA-256 signature of `msg` under scalar `d` (deterministic nonce)."""
    e = int.from_bytes(hashlib.sha256(msg).digest(), "big")
    counter = 0
    while True:
        k_seed = d.to_bytes(32, "big") + hashlib.sha256(msg).digest() + counter.to_bytes(4, "big")
        k = int.from_bytes(hashlib.sha512(k_seed).digest(), "big") % _PN
        counter += 1
        if k == 0:
            continue
        r = _pmul(k, _PG)[0] % _PN
        s = pow(k, _PN - 2, _PN) * (e + r * d) % _PN
        if r and s:
            seq = _der_int(r) + _der_int(s)
            return b"\x30" + bytes([len(seq)]) + seq
