/// The quickstart's development signing key: what `portcullis token` signs with when no `--key`
/// is given, and what the quickstart's JWT entry trusts.
///
/// Both halves are public — they are in this file — so anyone can mint tokens this key verifies.
/// It exists so the quickstart shows a JWT round trip without any set-up; a config that trusts it
/// outside the quickstart gets a start-up warning.
public enum QuickstartDevelopmentKey {
    /// The `kid` tokens signed with the key carry.
    public static let keyID = "portcullis-development"

    /// The `iss` of `portcullis token`'s tokens, which the quickstart requires.
    public static let issuer = "portcullis"

    /// The RSA-2048 private key, PKCS#8 PEM.
    public static let privateKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDCsYu8qfzQMHK/
        awrYqIdnPq8+MFwsqbUlcoMGt9NmU4YKoEAXfnDPQ85u/DMXyK6MxIQ91HyF7/oY
        TeBDODu0IAbPB8B0wDyFetz+SRE+4kwyaj+d+FsQpHrQwza8xGSG+jxTCAAuWx0l
        QsyvUZKWmljXMVqkjJROctW26CWxZxdxF+6KIJprIcz6ib6jLGhf5QFDFkZUpMyb
        WmdqZWV04TFkIz1I941Cu6UQqtMh5IIciK6DdavaeB2LMQACR1JTRvc6ogpaUST9
        ZuKKmkaxVEKg6gWiSEzQy/lEMXRQ4XJAlYq0ADvjOzRMq2vf+2G+QQpN6L3ihPZj
        EO/gf/S7AgMBAAECggEATj0sIwqKwp0dl8fr6Wo8U6SwpsSnXflrBtvwRKRdy0q4
        XI/OgcJ5kgk1LYui+qVWY9JbND+uNOLdtaOiAlFYSMfwBIWgdSqFh7x6j6OMTyGA
        rmfdHd3etp7qjfdNCWnA3i80S8e0zuwll8Iy4CdfSa9IEV5Phz3JIYdrU+ARuaq3
        5Lqs/kv4CnzlqdMtDwkhwwRwgnLAYyDED8bbR8xbxa9GHxGY2zwtraV0IOK+XyQs
        1Zd3pGqXUWnvFGihjtQsvhAVPI12HkK5zPKjbegmoEbd6Z5wEadB4i10xoEuV9wP
        kI2jlfJWOsCdeehabN1FtjgfZJ+hnMEdsR+y//wOxQKBgQD7PFko1/dxtEgBwniH
        K6nKBnArAOu8mGIdFbRfgXDatfFKU1wJrHHAKu2y+uMPsxmwkZrmKF6jeWvALs0E
        B1ydZ1rqe4Nf82NU8+cZn+tIrJTzyxh/mCFYgRjMoa7NyaiQyy8fot5hJSqHhzlm
        zqYGp6rlSi/UHF2fX+0xjfPebQKBgQDGYrULfQKhD/Uy6d5cZbIiMx4MbRuunFec
        mJvgn6mWcaF3U6gpD8WLDfxS2Q2+GPERfsGLBYO87MGmN2mMrXt05Wu8/qAyhhCT
        rognvkBFtPK6DQMV+Q0HoZNylTQgSi8mv76DLWtRtD6GB9UJqw3RcroxAJAek3qx
        Qi6YUuWGxwKBgQDFgGuW8DBV8qOovniBypFvgCAtrkujtydqNeXWLqvJQ76r71wr
        PqUtrJGwYgqeDO3lIJHk3VeIq6tJKYGB6UelddrC+tYMWAl+fz7tpgoQ15tBDCf2
        JmIQcWxNcc05eY5KRXCGLkMjm1QTtvopF8rs8GIoXmm7FZGD+KU+j5lnAQKBgBNY
        lt0q8LGyM7AmXFfYVvm80GZX0YZCmsybmT/bchdIt31CfDic4B/CWmPd5Ngv6HpT
        SR58iC9JS00hRDrCxDJPGSWSEx86Ma2lLIPrqqrhjXYVRMLEyb9/wzg+Upn/gf+e
        XT6/lCKgmCRL6TuLIcrWDFAxBNzmduWIVbDnDJkLAoGBAI59ft2kzcMxE27jgy5i
        yBwLYbpTt1l0h2a3SMt2H3EJaEeNB3DraBwojuykf58bu7X/saExoKB0EjFny9aR
        x1gxB6nGTzJEKvgA/OhUvMOWoxmHC3SFyg06DDygmqLxoiFO9JBLRHROzMvVCZag
        95lFC/eBgoiqFsnoXyDj8O1a
        -----END PRIVATE KEY-----
        """

    /// Its public key, SubjectPublicKeyInfo PEM.
    public static let publicKeyPEM = """
        -----BEGIN PUBLIC KEY-----
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrGLvKn80DByv2sK2KiH
        Zz6vPjBcLKm1JXKDBrfTZlOGCqBAF35wz0PObvwzF8iujMSEPdR8he/6GE3gQzg7
        tCAGzwfAdMA8hXrc/kkRPuJMMmo/nfhbEKR60MM2vMRkhvo8UwgALlsdJULMr1GS
        lppY1zFapIyUTnLVtuglsWcXcRfuiiCaayHM+om+oyxoX+UBQxZGVKTMm1pnamVl
        dOExZCM9SPeNQrulEKrTIeSCHIiug3Wr2ngdizEAAkdSU0b3OqIKWlEk/WbiippG
        sVRCoOoFokhM0Mv5RDF0UOFyQJWKtAA74zs0TKtr3/thvkEKTei94oT2YxDv4H/0
        uwIDAQAB
        -----END PUBLIC KEY-----
        """
}
