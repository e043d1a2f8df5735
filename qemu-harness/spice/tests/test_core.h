/* A SpiceCoreInterface on a private GMainContext, run by a thread of its own, for tests that
 * drive spice-server from a client in the main thread. */
#ifndef SPP_TEST_CORE_H
#define SPP_TEST_CORE_H

#include <glib.h>
#include <spice.h>

typedef struct TestCore TestCore;

TestCore *test_core_new(void);
SpiceCoreInterface *test_core_interface(TestCore *core);
/* Start and stop the thread iterating the context. Before start and after stop the caller
 * may use the server directly; in between only through test_core_call(). */
void test_core_start(TestCore *core);
void test_core_stop(TestCore *core);
/* Run func(data) in the server thread and wait for it to return. */
void test_core_call(TestCore *core, void (*func)(void *data), void *data);
void test_core_free(TestCore *core);

#endif /* SPP_TEST_CORE_H */
