/* Every VC_REQ citation compiled into the binary (case.h), and the one form reports print them in. */
#ifndef VMCONFORM_CITATIONS_H
#define VMCONFORM_CITATIONS_H

#include <stdio.h>

#include "case.h"

/* "<doc> §<section>: <text>", as TAP, JUnit and JSON show what a failure required. g_free() it. */
char *vc_citation_format(const VcCitation *c);

/* "<file>:<line>", where the citation is written. g_free() it. */
char *vc_citation_source(const VcCitation *c);

/* --list-citations: one line per citation, sorted by where it is written:
 * "<file>:<line>\t<doc> §<section>\t<text>", the column layout of --list (where, cite, what). */
void vc_print_citations(FILE *out);

#endif /* VMCONFORM_CITATIONS_H */
