/* --spice HOST:PORT: the endpoint a user points vmconform at, checked once before any case runs. */
#ifndef VMCONFORM_ENDPOINT_H
#define VMCONFORM_ENDPOINT_H

#include <glib.h>

/* The ticket in a --password-file: its first line. NULL with error when the file cannot be read. */
char *vc_read_ticket(const char *path, GError **error);

/* When cases of the power suite are chosen: links the endpoint's main channel and reads the
 * channels it offers. A server that offers no power channel (stock QEMU, power-control off) is a
 * usage error naming what it does offer, instead of a failure per case for the wrong reason. An
 * endpoint that cannot be linked at all is left to the cases, which report why. */
void vc_check_spice_endpoint(const char *spice, const char *password_file, GPtrArray *chosen);

#endif /* VMCONFORM_ENDPOINT_H */
