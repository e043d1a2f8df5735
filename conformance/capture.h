/* --capture: the run's SPICE traffic recorded with dumpcap on loopback, then decoded by tshark with
 * the spicepower plugin for the report. */
#ifndef VMCONFORM_CAPTURE_H
#define VMCONFORM_CAPTURE_H

#include <glib.h>

typedef struct VcCapture VcCapture;

/* Starts dumpcap on lo for TCP (QMP and the serial port are unix sockets, so loopback TCP during a
 * run is SPICE) and returns once it is capturing. NULL with error when dumpcap cannot start. */
VcCapture *vc_capture_start(const char *pcap_path, GError **error);

/* Stops dumpcap so that the file is complete. */
void vc_capture_stop(VcCapture *capture);

/* Decodes the capture with tshark and the plugin at plugin_path; returns the text (summary lines,
 * then the spicepower statistics) or NULL with error. */
char *vc_capture_decode(const char *pcap_path, const char *plugin_path, GError **error);

#endif /* VMCONFORM_CAPTURE_H */
