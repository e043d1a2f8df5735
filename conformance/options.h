/* vmconform's command line: the options, their checks, and the one way a usage error is reported. */
#ifndef VMCONFORM_OPTIONS_H
#define VMCONFORM_OPTIONS_H

#include <glib.h>

typedef struct {
    gboolean list, list_citations, smoke;
    char **case_globs, **exclude_globs, **suite_names; /* NULL when not given */
    char **qemus;                                        /* --qemu, repeatable; NULL when not given */
    char **power_qemus; /* --power-qemu, repeatable: QEMUs with the power channel built in */
    char *bridge, *guest, *spice, *password_file;        /* NULL when not given */
    char *expect, *junit, *json, *html, *capture, *plugin; /* NULL when not given */
    double timeout_s;
    int jobs; /* 1 with --spice: the endpoint serves one case at a time */
} VcCommandLine;

/* Parses argv into cl and checks what can be checked without looking at the machine. A bad command
 * line ends vmconform through vc_usage_error(). */
void vc_parse_command_line(int argc, char **argv, VcCommandLine *cl);

/* "vmconform: <problem>" on stderr, exit status 2: a usage or environment error. */
G_NORETURN void vc_usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif /* VMCONFORM_OPTIONS_H */
