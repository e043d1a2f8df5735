/* The SPICE ticket: RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) of the password and its NUL,
 * under the server's RSA-1024 key sent as a DER SubjectPublicKeyInfo in the link reply. */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "spp_client.h"

static int fail(char *err, size_t err_len, const char *what)
{
    unsigned long e = ERR_get_error();
    char ossl[256] = "";
    if (e)
        ERR_error_string_n(e, ossl, sizeof(ossl));
    if (err && err_len)
        snprintf(err, err_len, "ticket: %s%s%s", what, e ? ": " : "", ossl);
    ERR_clear_error();
    return SPP_ERR_AUTH;
}

int spp_ticket_encrypt(const uint8_t *der, size_t der_len, const char *password,
                       uint8_t out[SPP_TICKET_ENCRYPTED_BYTES], char *err, size_t err_len)
{
    if (!password)
        password = "";
    size_t plen = strlen(password) + 1; /* the NUL is part of the ticket */
    if (plen - 1 > SPP_TICKET_PASSWORD_MAX)
        return fail(err, err_len, "password longer than 60 bytes");

    const unsigned char *p = der;
    EVP_PKEY *key = d2i_PUBKEY(NULL, &p, (long)der_len);
    if (!key)
        return fail(err, err_len, "cannot parse the server's public key");
    int status = SPP_ERR_AUTH;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    size_t out_len = 0;
    if (!ctx) {
        fail(err, err_len, "EVP_PKEY_CTX_new failed");
    } else if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        fail(err, err_len, "the server's public key is not RSA");
    } else if (EVP_PKEY_get_size(key) != SPP_TICKET_ENCRYPTED_BYTES) {
        fail(err, err_len, "the server's RSA key is not 1024 bits");
    } else if (EVP_PKEY_encrypt_init(ctx) <= 0 ||
               EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
               EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha1()) <= 0 ||
               EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha1()) <= 0) {
        fail(err, err_len, "cannot set up RSA-OAEP");
    } else if (EVP_PKEY_encrypt(ctx, NULL, &out_len, (const unsigned char *)password, plen) <= 0 ||
               out_len != SPP_TICKET_ENCRYPTED_BYTES) {
        fail(err, err_len, "unexpected RSA-OAEP output size");
    } else if (EVP_PKEY_encrypt(ctx, out, &out_len, (const unsigned char *)password, plen) <= 0) {
        fail(err, err_len, "RSA-OAEP encryption failed");
    } else {
        status = SPP_OK;
    }
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    return status;
}
