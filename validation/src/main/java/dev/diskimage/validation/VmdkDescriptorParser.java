package dev.diskimage.validation;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses a VMDK text descriptor (VMware Virtual Disk Format 1.1) strictly: every line must be
 * blank, a comment, a {@code key=value} entry or a well-formed extent line. Anything else fails
 * with {@link FindingCode#VMDK_MALFORMED_DESCRIPTOR}, because qemu's own descriptor reader is
 * lenient (it skips lines it does not understand and finds keys by substring search anywhere in
 * the text), and a descriptor that this parser and qemu could read differently must never pass.
 *
 * <p>Stateless; the text is bounded ({@link #MAX_DESCRIPTOR_BYTES}) and so are the extents
 * ({@link #MAX_EXTENTS}).
 */
final class VmdkDescriptorParser {

    /** Largest descriptor accepted; qemu-img writes 10 KiB, VMware a few KiB. */
    static final int MAX_DESCRIPTOR_BYTES = 64 * 1024;

    /** Most extent lines accepted; real split disks have a few hundred at most. */
    static final int MAX_EXTENTS = 1000;

    /** Largest extent size in sectors whose byte size still fits a signed long. */
    static final long MAX_EXTENT_SECTORS = Long.MAX_VALUE / Sectors.SIZE;

    /*
     * Keys qemu looks up with strstr() over the whole descriptor text (block/vmdk.c
     * vmdk_parse_description, vmdk_parent_open, vmdk_read_cid): each may occur in the text only
     * as its own entry, never inside a comment, a value or another key.
     */
    private static final String CREATE_TYPE = "createType";
    private static final String PARENT_HINT = "parentFileNameHint";
    private static final String PARENT_CID = "parentCID";
    private static final String CID = "CID";
    private static final String VERSION = "version";
    private static final List<String> SUBSTRING_KEYS = List.of(CREATE_TYPE, PARENT_HINT, PARENT_CID);
    private static final List<String> KNOWN_KEYS = List.of(VERSION, CID, PARENT_CID, CREATE_TYPE, PARENT_HINT);

    private static final String DDB_PREFIX = "ddb.";

    /** Spec: {@code ACCESS SIZE TYPE "NAME" [OFFSET]}; ZERO extents have no name. */
    private static final Pattern EXTENT = Pattern.compile(
            "(RW|RDONLY|NOACCESS)[ \\t]+(\\d{1,19})[ \\t]+([A-Za-z]{1,16})"
                    + "(?:[ \\t]+\"([^\"]*)\"(?:[ \\t]+(\\d{1,19}))?)?");
    private static final Pattern ACCESS_WORD = Pattern.compile("(RW|RDONLY|NOACCESS)([ \\t].*)?");
    private static final Pattern ENTRY = Pattern.compile(
            "([A-Za-z][A-Za-z0-9_.\\-]{0,127})[ \\t]*=[ \\t]*(?:\"([^\"]*)\"|([^\" \\t]*))");
    private static final Pattern HEX_CID = Pattern.compile("[0-9A-Fa-f]{1,8}");
    private static final Pattern DECIMAL_VERSION = Pattern.compile("\\d{1,9}");

    private VmdkDescriptorParser() {
    }

    /**
     * Parses {@code raw}, which may be NUL-padded (text ends at the first NUL, as it does for
     * qemu), found at {@code baseOffset} in the image.
     *
     * @throws InspectionFailure with {@link FindingCode#VMDK_MALFORMED_DESCRIPTOR} naming the
     *         offending line's offset when the descriptor is too large or malformed
     */
    static VmdkDescriptor parse(byte[] raw, long baseOffset) {
        if (raw.length > MAX_DESCRIPTOR_BYTES) {
            throw malformed(baseOffset, 0, "descriptor of " + raw.length + " bytes exceeds the limit of "
                    + MAX_DESCRIPTOR_BYTES);
        }
        int length = 0;
        while (length < raw.length && raw[length] != 0) {
            length++;
        }
        // ISO-8859-1 keeps one char per byte, so string indices are byte offsets for findings.
        String text = new String(raw, 0, length, StandardCharsets.ISO_8859_1);
        requireNoControlCharacters(text, baseOffset);

        Builder builder = new Builder(baseOffset);
        int position = 0;
        while (position < text.length()) {
            int end = text.indexOf('\n', position);
            if (end < 0) {
                end = text.length();
            }
            builder.line(text.substring(position, end).trim(), position);
            position = end + 1;
        }
        VmdkDescriptor descriptor = builder.build();
        requireKeysOnlyAsEntries(text, descriptor, baseOffset);
        return descriptor;
    }

    private static void requireNoControlCharacters(String text, long baseOffset) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
                throw malformed(baseOffset, i, "control character 0x" + Integer.toHexString(c) + " in descriptor");
            }
        }
    }

    private static void requireKeysOnlyAsEntries(String text, VmdkDescriptor descriptor, long baseOffset) {
        for (String key : SUBSTRING_KEYS) {
            boolean present = switch (key) {
                case CREATE_TYPE -> descriptor.createType().isPresent();
                case PARENT_HINT -> descriptor.parentFileNameHint().isPresent();
                default -> descriptor.parentCid().isPresent();
            };
            int first = text.indexOf(key);
            int second = first < 0 ? -1 : text.indexOf(key, first + 1);
            int stray = present ? second : first;
            if (stray >= 0) {
                throw malformed(baseOffset, stray, "'" + key + "' appears outside its own entry;"
                        + " qemu finds it by substring search and could read another value");
            }
        }
    }

    private static InspectionFailure malformed(long baseOffset, long textOffset, String message) {
        return new InspectionFailure(FindingCode.VMDK_MALFORMED_DESCRIPTOR, baseOffset + textOffset,
                "VMDK descriptor: " + message);
    }

    /** Collects entries and extents line by line; one instance per parse. */
    private static final class Builder {
        private final long baseOffset;
        private final List<VmdkDescriptor.Extent> extents = new ArrayList<>();
        private final Map<String, String> ddb = new LinkedHashMap<>();
        private final Map<String, String> entries = new LinkedHashMap<>();
        private final Map<String, String> seenKeys = new HashMap<>();
        private OptionalInt version = OptionalInt.empty();
        private OptionalLong cid = OptionalLong.empty();
        private OptionalLong parentCid = OptionalLong.empty();
        private Optional<String> createType = Optional.empty();
        private Optional<String> parentHint = Optional.empty();

        Builder(long baseOffset) {
            this.baseOffset = baseOffset;
        }

        void line(String line, int textOffset) {
            if (line.isEmpty() || line.charAt(0) == '#') {
                return;
            }
            Matcher extent = EXTENT.matcher(line);
            if (extent.matches()) {
                extent(extent, textOffset);
                return;
            }
            if (ACCESS_WORD.matcher(line).matches()) {
                throw malformed(baseOffset, textOffset, "malformed extent line '" + shorten(line) + "'");
            }
            Matcher entry = ENTRY.matcher(line);
            if (entry.matches()) {
                String value = entry.group(2) != null ? entry.group(2) : entry.group(3);
                entry(entry.group(1), value, textOffset);
                return;
            }
            throw malformed(baseOffset, textOffset, "unrecognised line '" + shorten(line) + "'");
        }

        private void extent(Matcher match, int textOffset) {
            if (extents.size() >= MAX_EXTENTS) {
                throw malformed(baseOffset, textOffset, "more than " + MAX_EXTENTS + " extents");
            }
            VmdkDescriptor.Access access = VmdkDescriptor.Access.valueOf(match.group(1));
            long sectors = number(match.group(2), textOffset, "extent size");
            if (sectors <= 0 || sectors > MAX_EXTENT_SECTORS) {
                throw malformed(baseOffset, textOffset, "extent size " + sectors + " sectors is out of range");
            }
            VmdkDescriptor.ExtentType type = extentType(match.group(3), textOffset);
            String rawName = match.group(4);
            if (type.namesFile() && (rawName == null || rawName.isEmpty())) {
                throw malformed(baseOffset, textOffset, type + " extent without a file name");
            }
            if (!type.namesFile() && rawName != null) {
                throw malformed(baseOffset, textOffset, "ZERO extent with a file name");
            }
            Optional<String> fileName = Optional.ofNullable(rawName).map(Builder::utf8);
            OptionalLong offset = match.group(5) == null ? OptionalLong.empty()
                    : OptionalLong.of(number(match.group(5), textOffset, "extent offset"));
            extents.add(new VmdkDescriptor.Extent(access, sectors, type, fileName, offset, textOffset));
        }

        private VmdkDescriptor.ExtentType extentType(String name, int textOffset) {
            for (VmdkDescriptor.ExtentType type : VmdkDescriptor.ExtentType.values()) {
                if (type.name().equals(name)) {
                    return type;
                }
            }
            throw malformed(baseOffset, textOffset, "unknown extent type '" + name + "'");
        }

        private long number(String digits, int textOffset, String what) {
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException tooLarge) {
                throw malformed(baseOffset, textOffset, what + " " + digits + " is too large");
            }
        }

        private void entry(String key, String value, int textOffset) {
            String folded = key.toLowerCase(Locale.ROOT);
            if (seenKeys.putIfAbsent(folded, key) != null) {
                throw malformed(baseOffset, textOffset, "duplicate entry '" + key + "'");
            }
            for (String known : KNOWN_KEYS) {
                if (known.equalsIgnoreCase(key) && !known.equals(key)) {
                    // VMware reads keys case-insensitively, qemu does not: a disagreement.
                    throw malformed(baseOffset, textOffset, "entry '" + key + "' differs from '" + known
                            + "' only in case");
                }
            }
            switch (key) {
                case VERSION -> version = OptionalInt.of((int) parsed(DECIMAL_VERSION, value, 10, key, textOffset));
                case CID -> cid = OptionalLong.of(parsed(HEX_CID, value, 16, key, textOffset));
                case PARENT_CID -> parentCid = OptionalLong.of(parsed(HEX_CID, value, 16, key, textOffset));
                case CREATE_TYPE -> {
                    if (value.isEmpty()) {
                        throw malformed(baseOffset, textOffset, "empty createType");
                    }
                    createType = Optional.of(value);
                }
                case PARENT_HINT -> parentHint = Optional.of(utf8(value));
                default -> {
                    if (folded.startsWith(DDB_PREFIX)) {
                        ddb.put(key, utf8(value));
                    } else {
                        entries.put(key, utf8(value));
                    }
                }
            }
        }

        private long parsed(Pattern pattern, String value, int radix, String key, int textOffset) {
            if (!pattern.matcher(value).matches()) {
                throw malformed(baseOffset, textOffset, "entry " + key + " has invalid value '" + shorten(value)
                        + "'");
            }
            return Long.parseLong(value, radix);
        }

        VmdkDescriptor build() {
            return new VmdkDescriptor(version, cid, parentCid, createType, parentHint, extents, ddb, entries);
        }

        /** Names and values are UTF-8 by the spec's default {@code ddb.encoding}. */
        private static String utf8(String latin1) {
            return new String(latin1.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
        }

        private static String shorten(String line) {
            return line.length() <= 80 ? line : line.substring(0, 80) + "...";
        }
    }
}
