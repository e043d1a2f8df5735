/* spp_ticket_encrypt against OpenSSL itself: a fresh RSA-1024 key stands in for the server's,
 * the private half decrypts with RSA-OAEP(SHA-1, MGF1-SHA-1) as reds.cpp does. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "spp_client.h"

static int failures;

static void check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok)
        failures++;
}

static int decrypt(EVP_PKEY *key, const uint8_t *in, uint8_t *out, size_t *out_len)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    int ok = ctx && EVP_PKEY_decrypt_init(ctx) > 0 &&
             EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
             EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha1()) > 0 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha1()) > 0 &&
             EVP_PKEY_decrypt(ctx, out, out_len, in, SPP_TICKET_ENCRYPTED_BYTES) > 0;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

int main(void)
{
    EVP_PKEY *key = EVP_RSA_gen(1024);
    if (!key) {
        fprintf(stderr, "cannot generate an RSA key\n");
        return 2;
    }
    uint8_t der[512];
    uint8_t *p = der;
    int der_len = i2d_PUBKEY(key, &p);
    check(der_len == SPP_TICKET_PUBKEY_BYTES, "RSA-1024 SubjectPublicKeyInfo is 162 bytes");

    uint8_t ticket[SPP_TICKET_ENCRYPTED_BYTES], plain[SPP_TICKET_ENCRYPTED_BYTES];
    size_t plain_len = sizeof(plain);
    char err[256] = "";
    int st = spp_ticket_encrypt(der, (size_t)der_len, "s3cret", ticket, err, sizeof(err));
    check(st == SPP_OK, "encrypt a password");
    check(st == SPP_OK && decrypt(key, ticket, plain, &plain_len) && plain_len == 7 &&
              memcmp(plain, "s3cret", 7) == 0,
          "the private key decrypts it to the password and its NUL");

    plain_len = sizeof(plain);
    st = spp_ticket_encrypt(der, (size_t)der_len, NULL, ticket, err, sizeof(err));
    check(st == SPP_OK && decrypt(key, ticket, plain, &plain_len) && plain_len == 1 && plain[0] == 0,
          "a NULL password is the empty ticket (one NUL)");

    char longpw[62];
    memset(longpw, 'x', 61);
    longpw[61] = 0;
    st = spp_ticket_encrypt(der, (size_t)der_len, longpw, ticket, err, sizeof(err));
    check(st == SPP_ERR_AUTH && strstr(err, "60") != NULL, "a 61-byte password is refused");
    longpw[60] = 0;
    check(spp_ticket_encrypt(der, (size_t)der_len, longpw, ticket, err, sizeof(err)) == SPP_OK,
          "a 60-byte password is accepted");

    der[0] ^= 0xff;
    st = spp_ticket_encrypt(der, (size_t)der_len, "s3cret", ticket, err, sizeof(err));
    check(st == SPP_ERR_AUTH && err[0] != 0, "a corrupt key is an error with a message");
    printf("# %s\n", err);

    EVP_PKEY_free(key);
    return failures ? 1 : 0;
}
