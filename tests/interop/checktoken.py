"""Decrypts and verifies a JWE around a JWS with jwcrypto, as a data provider
does with a checktoken answer or a FranceConnect+ service provider with its
id_token and userinfo.

Usage: checktoken.py KEY_PEM JWKS_JSON < answer
Prints the verified JWS payload as JSON; exits non-zero on any failure.
"""
import json
import sys

from jwcrypto import jwe, jwk, jws

key_pem, jwks_json = sys.argv[1], sys.argv[2]
answer = sys.stdin.read().strip()

with open(key_pem, "rb") as f:
    private = jwk.JWK.from_pem(f.read())
envelope = jwe.JWE()
envelope.deserialize(answer, key=private)
signed = envelope.payload.decode()

keys = jwk.JWKSet.from_json(jwks_json)
token = jws.JWS()
token.deserialize(signed)
header = json.loads(token.objects["protected"])
token.verify(keys.get_key(header["kid"]), alg=header["alg"])
print(json.dumps({"jwe_header": json.loads(envelope.objects["protected"]), "claims": json.loads(token.payload)}))
