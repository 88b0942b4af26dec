/**
 * The one parser of LUKS on-disk structures, shared by every module that reads them: the
 * validator's {@code LuksInspector} (is this file a sane LUKS volume?) and crypto's
 * {@code LuksHeader} (which key slots exist, does a passphrase open one?).
 *
 * <p>Pure functions over bytes: the callers read the bytes (the validator through its bounded,
 * stream-capturing reader, crypto from a file) and hand them here. LUKS1 follows the LUKS1
 * on-disk format specification 1.2.3 (592-byte big-endian header, eight key slots); LUKS2 the
 * LUKS2 on-disk format specification (4096-byte binary header, JSON metadata area, second header
 * copy). Every number is checked before it is used; a structure that breaks a rule is a
 * {@link dev.diskimage.core.luks.LuksFormatException} carrying the offset of the offending field
 * and the reason.
 */
package dev.diskimage.core.luks;
