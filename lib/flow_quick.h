/*
 * flow_quick.h - decide cheaply whether a flow line can hold a dropped
 * flow, so that a consumer that wants only drops (analyze-drops) parses
 * the few lines that may and skips the rest at memory speed.
 */
#ifndef CILKIT_FLOW_QUICK_H
#define CILKIT_FLOW_QUICK_H

#include <stdbool.h>
#include <stddef.h>

/*
 * False only when line[0..len) certainly holds no flow with verdict
 * DROPPED and looks like well-formed JSON: it starts with '{' and ends
 * with '}' (surrounding blanks aside), has only printable ASCII (no
 * control bytes, no bytes >= 0x80), no backslash escapes, an even
 * number of quotes, balanced braces and brackets, and every "verdict"
 * key in it has a value other than "DROPPED" or 2 (or there is none).
 * True otherwise: the caller parses the line, which either yields the
 * drop or reports what is wrong with it.  The shape test is not a full
 * JSON validation: a subtly malformed line that passes it and carries
 * no drop is skipped without a message.
 */
bool flow_quick_maybe_dropped(const char *line, size_t len);

/*
 * Whether the line starts with a lost_events record, the first key
 * protojson writes for one ({"lost_events":..., or lostEvents with
 * lowerCamel names): a consumer of drops parses it to say how many
 * events the agent lost.  Constant time.
 */
bool flow_quick_lost(const char *line, size_t len);

#endif /* CILKIT_FLOW_QUICK_H */
