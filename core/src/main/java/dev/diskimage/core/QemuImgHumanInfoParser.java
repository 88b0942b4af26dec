package dev.diskimage.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the human-readable output of {@code qemu-img info} into the JSON tree that
 * {@code --output=json} would have given, so that one reader ({@link QemuImgInfoReader}) builds
 * {@link QemuImgInfo} from either. Labels map to JSON keys ({@code file format} to
 * {@code format}, {@code compression type} to {@code compression-type}); the indented
 * {@code Format specific information} block is read generically (nested maps and {@code [n]}
 * lists), with {@code true}/{@code false} as booleans and plain integers as numbers.
 */
final class QemuImgHumanInfoParser {
    /** Longest human text accepted, as for JSON. */
    static final int MAX_CHARS = QemuImgInfo.MAX_JSON_CHARS;
    /** qemu indents nested format-specific blocks by this many spaces. */
    private static final int INDENT_STEP = 4;

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    // "1 MiB (1048576 bytes)"
    private static final Pattern EXACT_BYTES = Pattern.compile("\\((\\d{1,20}) bytes\\)");
    // qemu's size_to_str: "196 KiB", "1.21 MiB", "0 B"
    private static final Pattern HUMAN_SIZE = Pattern.compile("^(\\d{1,20}(?:\\.\\d{1,6})?) ?(B|KiB|MiB|GiB|TiB|PiB|EiB)$");
    private static final List<String> UNITS = List.of("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB");
    // "1         my snap               0 B 2026-11-23 12:17:50 00:00:00.000          0"
    private static final Pattern SNAPSHOT_ROW = Pattern.compile("^(\\S+)\\s+(.*?)\\s+(\\d{1,20}(?:\\.\\d{1,6})? ?"
            + "(?:B|KiB|MiB|GiB|TiB|PiB|EiB))\\s+(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2})\\s+"
            + "(\\d{1,12}):(\\d{2}):(\\d{2})\\.(\\d{3})(?:\\s+(\\d{1,20}))?\\s*$");
    private static final DateTimeFormatter SNAPSHOT_DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);
    private static final Pattern INTEGER = Pattern.compile("^-?\\d{1,18}$");
    private static final String ACTUAL_PATH = " (actual path: ";
    private static final String NO_ACTUAL_PATH = " (cannot determine actual path)";
    private static final long SECONDS_PER_HOUR = 3600;
    private static final long SECONDS_PER_MINUTE = 60;
    private static final long NANOS_PER_MILLI = 1_000_000;

    private QemuImgHumanInfoParser() {
    }

    /** One non-empty line: its indentation and its trimmed text. */
    private record Line(int indent, String text) {
    }

    static ObjectNode parse(String text) {
        if (text == null) {
            throw new QemuImgInfoParseException("qemu-img info text is missing");
        }
        if (text.length() > MAX_CHARS) {
            throw new QemuImgInfoParseException("qemu-img info text is " + text.length()
                    + " characters, more than the " + MAX_CHARS + " accepted");
        }
        List<Line> lines = new ArrayList<>();
        for (String raw : text.split("\r?\n", -1)) {
            String stripped = raw.strip();
            if (!stripped.isEmpty()) {
                lines.add(new Line(raw.length() - raw.stripLeading().length(), stripped));
            }
        }
        ObjectNode root = NODES.objectNode();
        int i = 0;
        while (i < lines.size()) {
            Line line = lines.get(i);
            if (line.indent() > 0) {
                // Lines of a section this parser skips (qemu 8's "Child node" blocks).
                i++;
                continue;
            }
            String label = line.text();
            if (label.equals("Snapshot list:")) {
                i = snapshots(lines, i + 1, root);
            } else if (label.equals("Format specific information:")) {
                ObjectNode specific = root.putObject("format-specific");
                specific.put("type", root.path("format").asText(""));
                Parsed block = i + 1 < lines.size() && lines.get(i + 1).indent() > 0
                        ? block(lines, i + 1, lines.get(i + 1).indent())
                        : new Parsed(NODES.objectNode(), i + 1);
                specific.set("data", block.node());
                i = block.next();
            } else if (label.startsWith("Child node ")) {
                i++;
            } else {
                topLevel(label, root);
                i++;
            }
        }
        return root;
    }

    private static void topLevel(String line, ObjectNode root) {
        int colon = line.indexOf(": ");
        String label = colon < 0 ? stripColon(line) : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 2).strip();
        switch (label) {
            case "image" -> root.put("filename", value);
            case "file format" -> root.put("format", value);
            case "virtual size" -> {
                Matcher m = EXACT_BYTES.matcher(value);
                if (!m.find()) {
                    throw new QemuImgInfoParseException("virtual size line has no byte count: " + line);
                }
                root.put("virtual-size", parseUnsigned(m.group(1), line));
            }
            case "disk size" -> {
                // "unavailable" when the host cannot tell; the field is then absent, as in JSON.
                if (!value.equals("unavailable")) {
                    root.put("actual-size", humanSize(value, line));
                }
            }
            case "cluster_size" -> root.put("cluster-size", parseUnsigned(value, line));
            case "encrypted" -> root.put("encrypted", value.equals("yes"));
            case "cleanly shut down" -> root.put("dirty-flag", value.equals("no"));
            case "backing file" -> backingFile(value, root);
            case "backing file format" -> root.put("backing-filename-format", value);
            default -> root.set(key(label), scalar(value));
        }
    }

    private static void backingFile(String value, ObjectNode root) {
        if (value.endsWith(NO_ACTUAL_PATH)) {
            root.put("backing-filename", value.substring(0, value.length() - NO_ACTUAL_PATH.length()));
            return;
        }
        int actual = value.lastIndexOf(ACTUAL_PATH);
        // actual is never 0: the value is stripped and ACTUAL_PATH starts with a space, so ">= 0"
        // and "> 0" cannot be told apart (an equivalent mutant).
        if (actual >= 0 && value.endsWith(")")) {
            root.put("backing-filename", value.substring(0, actual));
            root.put("full-backing-filename", value.substring(actual + ACTUAL_PATH.length(), value.length() - 1));
        } else {
            // qemu omits the actual path when it equals the backing file name.
            root.put("backing-filename", value);
            root.put("full-backing-filename", value);
        }
    }

    private static int snapshots(List<Line> lines, int start, ObjectNode root) {
        ArrayNode list = root.putArray("snapshots");
        int i = start;
        if (i < lines.size() && lines.get(i).text().startsWith("ID")) {
            i++;
        }
        for (; i < lines.size(); i++) {
            Matcher m = SNAPSHOT_ROW.matcher(lines.get(i).text());
            if (lines.get(i).indent() > 0 || !m.matches()) {
                break;
            }
            ObjectNode snapshot = list.addObject();
            snapshot.put("id", m.group(1));
            snapshot.put("name", m.group(2));
            snapshot.put("vm-state-size", humanSize(m.group(3), lines.get(i).text()));
            try {
                snapshot.put("date-sec", LocalDateTime.parse(m.group(4), SNAPSHOT_DATE).toEpochSecond(ZoneOffset.UTC));
            } catch (DateTimeParseException e) {
                throw new QemuImgInfoParseException("bad snapshot date: " + lines.get(i).text(), e);
            }
            snapshot.put("date-nsec", 0);
            long seconds = Long.parseLong(m.group(5)) * SECONDS_PER_HOUR
                    + Long.parseLong(m.group(6)) * SECONDS_PER_MINUTE + Long.parseLong(m.group(7));
            snapshot.put("vm-clock-sec", seconds);
            snapshot.put("vm-clock-nsec", Long.parseLong(m.group(8)) * NANOS_PER_MILLI);
            if (m.group(9) != null) {
                snapshot.put("icount", parseUnsigned(m.group(9), lines.get(i).text()));
            }
        }
        return i;
    }

    private record Parsed(JsonNode node, int next) {
    }

    /** Reads the lines at {@code indent} (and their deeper children) as one map or list. */
    private static Parsed block(List<Line> lines, int start, int indent) {
        boolean isList = lines.get(start).text().startsWith("[");
        ObjectNode map = NODES.objectNode();
        ArrayNode list = NODES.arrayNode();
        int i = start;
        while (i < lines.size() && lines.get(i).indent() == indent) {
            String text = lines.get(i).text();
            int colon = text.indexOf(':');
            if (colon < 0) {
                throw new QemuImgInfoParseException("expected 'key: value' in format specific information: " + text);
            }
            String label = text.substring(0, colon);
            String value = text.substring(colon + 1).strip();
            i++;
            JsonNode node;
            if (value.isEmpty() && i < lines.size() && lines.get(i).indent() > indent) {
                Parsed child = block(lines, i, lines.get(i).indent());
                node = child.node();
                i = child.next();
            } else {
                node = scalar(value);
            }
            if (isList) {
                list.add(node);
            } else {
                map.set(key(label), node);
            }
        }
        // The loop above only stops at a line whose indent differs, so "> indent" and ">= indent"
        // cannot be told apart here (an equivalent mutant).
        if (i < lines.size() && lines.get(i).indent() > indent) {
            throw new QemuImgInfoParseException("unexpected indentation in format specific information: "
                    + lines.get(i).text());
        }
        return new Parsed(isList ? list : map, i);
    }

    private static JsonNode scalar(String value) {
        if (value.equals("true") || value.equals("false")) {
            return NODES.booleanNode(Boolean.parseBoolean(value));
        }
        if (INTEGER.matcher(value).matches()) {
            return NODES.numberNode(Long.parseLong(value));
        }
        if (value.matches("^\\d{19,20}$")) {
            // u64 values such as 18446744073709551615 stay exact; the reader range-checks them.
            return NODES.numberNode(new java.math.BigInteger(value));
        }
        return NODES.textNode(value);
    }

    private static String key(String label) {
        return label.strip().replace(' ', '-');
    }

    private static String stripColon(String line) {
        return line.endsWith(":") ? line.substring(0, line.length() - 1) : line;
    }

    private static long parseUnsigned(String digits, String line) {
        try {
            long value = Long.parseLong(digits.strip());
            if (value < 0) {
                throw new NumberFormatException("negative");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new QemuImgInfoParseException("not a byte count in line: " + line, e);
        }
    }

    /** Bytes from qemu's rounded size text ("1.21 MiB"); approximate by nature. */
    private static long humanSize(String value, String line) {
        Matcher m = HUMAN_SIZE.matcher(value.strip());
        if (!m.matches()) {
            throw new QemuImgInfoParseException("not a size in line: " + line);
        }
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(1024).pow(UNITS.indexOf(m.group(2))));
        try {
            return bytes.setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
        } catch (ArithmeticException e) {
            throw new QemuImgInfoParseException("size out of range in line: " + line, e);
        }
    }
}
