"""Signs or verifies image data with Python cryptography the way cursive-based services do.

Used by CursivePrimitivesInteropTest. Verification follows what cursive's verifiers do: the
data is hashed with the named hash, and the digest is checked as a prehashed signature,
RSA with PSS (MGF1 of the same hash, PSS.MAX_LENGTH), DSA and ECDSA as DER. Signing follows
Glance's documentation for RSA-PSS (PSS.MAX_LENGTH).

usage: cursive_primitives.py sign|verify KEY_TYPE HASH KEY_PEM DATA SIGNATURE
"""
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

HASHES = {"SHA-224": hashes.SHA224, "SHA-256": hashes.SHA256,
          "SHA-384": hashes.SHA384, "SHA-512": hashes.SHA512}


def pss(hash_algorithm):
    return padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=padding.PSS.MAX_LENGTH)


def main(mode, key_type, hash_name, key_path, data_path, signature_path):
    algorithm = HASHES[hash_name]()
    with open(key_path, "rb") as f:
        key_pem = f.read()
    with open(data_path, "rb") as f:
        data = f.read()
    if mode == "sign":
        key = serialization.load_pem_private_key(key_pem, password=None)
        if key_type == "RSA-PSS":
            signature = key.sign(data, pss(algorithm), algorithm)
        elif key_type == "DSA":
            signature = key.sign(data, algorithm)
        else:
            signature = key.sign(data, ec.ECDSA(algorithm))
        with open(signature_path, "wb") as f:
            f.write(signature)
        return 0
    key = serialization.load_pem_public_key(key_pem)
    with open(signature_path, "rb") as f:
        signature = f.read()
    hasher = hashes.Hash(algorithm)
    for start in range(0, len(data), 65536):
        hasher.update(data[start:start + 65536])
    digest = hasher.finalize()
    prehashed = utils.Prehashed(algorithm)
    try:
        if key_type == "RSA-PSS":
            key.verify(signature, digest, pss(algorithm), prehashed)
        elif key_type == "DSA":
            key.verify(signature, digest, prehashed)
        else:
            key.verify(signature, digest, ec.ECDSA(prehashed))
    except InvalidSignature:
        print("invalid signature")
        return 1
    print("verified")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
