package dev.diskimage.core.luks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.diskimage.core.StrictJson;
import dev.diskimage.core.UntrustedText;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The JSON metadata of a LUKS2 header (LUKS2 on-disk format specification, "JSON area"): key
 * slots, digests, the data segment and the config sizes, as immutable values. No JSON tree
 * escapes: everything is copied into records.
 *
 * <p>Two levels of strictness, on purpose. {@link #parse} refuses what makes the volume unusable
 * to anyone: JSON that is not one strict object (duplicate keys, deep nesting, trailing content),
 * a missing {@code keyslots}, {@code segments}, {@code digests} or {@code config} object, and a
 * data segment that is absent, malformed or outside the file. Key slots and digests are read
 * leniently (a missing or malformed field becomes an empty value), because only a caller that
 * uses a slot (to unlock it) knows which fields it needs; that caller checks them.
 *
 * @param keyslots every key slot, ordered by id as the document lists them
 * @param digests every digest, in document order
 * @param dataSegment the data segment with the lowest id
 * @param jsonSize {@code config.json_size}, when present and a decimal number
 * @param keyslotsSize {@code config.keyslots_size}, when present and a decimal number
 */
public record Luks2Metadata(List<Keyslot> keyslots, List<Digest> digests, Segment dataSegment, OptionalLong jsonSize,
        OptionalLong keyslotsSize) {

    /** Offset of the JSON area in the file: every metadata reason is reported there. */
    private static final long JSON_OFFSET = Luks2BinaryHeader.BINARY_LENGTH;
    private static final String DYNAMIC = "dynamic";
    private static final int MAX_DIGITS = 18;

    /**
     * Copies the lists.
     *
     * @param keyslots the key slots, copied
     * @param digests the digests, copied
     * @param dataSegment the data segment
     * @param jsonSize the JSON area size, if known
     * @param keyslotsSize the key slot area size, if known
     */
    public Luks2Metadata {
        keyslots = List.copyOf(keyslots);
        digests = List.copyOf(digests);
    }

    /**
     * One key slot ({@code keyslots} entry). Text fields are sanitized and empty when absent.
     *
     * @param id the slot id (the JSON key, normally a decimal number)
     * @param type the slot type, {@code luks2} for a passphrase slot
     * @param keySize the size of the key this slot stores, in bytes
     * @param area where the encrypted key material lies
     * @param af the anti-forensic splitter
     * @param kdf the key derivation function
     */
    public record Keyslot(String id, String type, OptionalLong keySize, Optional<Area> area,
            Optional<AntiForensic> af, Optional<Kdf> kdf) {
    }

    /**
     * A key slot's area.
     *
     * @param type the area type, {@code raw}
     * @param offset where the encrypted key material starts, in bytes
     * @param size the size of the area in bytes
     * @param encryption the area cipher in dm-crypt notation, e.g. {@code aes-xts-plain64}
     * @param keySize the area cipher's key size in bytes (the KDF output length)
     */
    public record Area(String type, OptionalLong offset, OptionalLong size, String encryption, OptionalLong keySize) {
    }

    /**
     * A key slot's anti-forensic splitter.
     *
     * @param type the splitter type, {@code luks1}
     * @param stripes the stripe count
     * @param hash the diffusion hash, e.g. {@code sha256}
     */
    public record AntiForensic(String type, OptionalLong stripes, String hash) {
    }

    /**
     * A key slot's key derivation function: PBKDF2 uses {@code hash} and {@code iterations};
     * Argon2 ({@code argon2i}, {@code argon2id}) uses {@code time}, {@code memory} (KiB) and
     * {@code cpus}.
     *
     * @param type {@code pbkdf2}, {@code argon2i} or {@code argon2id}
     * @param hash the PBKDF2 hash
     * @param iterations the PBKDF2 iteration count
     * @param time the Argon2 time cost
     * @param memory the Argon2 memory cost in KiB
     * @param cpus the Argon2 parallelism
     * @param salt the salt, base64 as written
     */
    public record Kdf(String type, String hash, OptionalLong iterations, OptionalLong time, OptionalLong memory,
            OptionalLong cpus, String salt) {
    }

    /**
     * One digest ({@code digests} entry): how to tell the right volume key from a wrong one.
     *
     * @param id the digest id
     * @param type {@code pbkdf2}
     * @param keyslots the ids of the key slots it checks
     * @param segments the ids of the segments it checks
     * @param hash the PBKDF2 hash
     * @param iterations the PBKDF2 iteration count
     * @param salt the salt, base64 as written
     * @param digest the digest, base64 as written
     */
    public record Digest(String id, String type, List<String> keyslots, List<String> segments, String hash,
            OptionalLong iterations, String salt, String digest) {
        /**
         * Copies the lists.
         *
         * @param id the digest id
         * @param type the type
         * @param keyslots key slot ids, copied
         * @param segments segment ids, copied
         * @param hash the hash
         * @param iterations the iteration count
         * @param salt the salt
         * @param digest the digest
         */
        public Digest {
            keyslots = List.copyOf(keyslots);
            segments = List.copyOf(segments);
        }
    }

    /**
     * The data segment.
     *
     * @param id the segment id
     * @param type the segment type, {@code crypt}
     * @param offset where the encrypted data starts, in bytes, after both header copies
     * @param size the data size in bytes, or empty for {@code dynamic} (up to the end of the file)
     * @param encryption the data cipher in dm-crypt notation, e.g. {@code aes-xts-plain64}
     * @param sectorSize the encryption sector size
     */
    public record Segment(long id, String type, long offset, OptionalLong size, String encryption,
            OptionalLong sectorSize) {
    }

    /**
     * Parses the JSON text of a LUKS2 header and checks its data segment against the file.
     *
     * @param text the JSON area's bytes
     * @param length the length of the JSON text (up to the NUL that ends it)
     * @param hdrSize the header size from the binary header: the data must follow both copies
     * @param fileSize the size of the file
     * @return the metadata
     * @throws LuksFormatException of kind {@code MALFORMED} at the JSON area's offset (4096) for
     *     unparseable JSON, a missing section, two segments with the same id (such as {@code 0} and
     *     {@code 00}), or a data segment that is absent, not a number or
     *     overlaps the headers; of kind {@code TRUNCATED} when a fixed-size data segment ends
     *     past the file
     */
    public static Luks2Metadata parse(byte[] text, int length, long hdrSize, long fileSize) {
        JsonNode root;
        try {
            // Strict JSON: a duplicated key would let cryptsetup and this parser read different metadata.
            root = StrictJson.tree().readTree(new String(text, 0, length, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw malformed("LUKS2 JSON metadata cannot be parsed: " + StrictJson.describe(e));
        }
        if (root == null || !root.isObject()) {
            throw malformed("LUKS2 JSON metadata is not an object");
        }
        for (String section : new String[] {"keyslots", "segments", "digests", "config"}) {
            if (!root.path(section).isObject()) {
                throw malformed("LUKS2 JSON metadata lacks the '" + section + "' object");
            }
        }
        Segment segment = dataSegment(root.get("segments"), hdrSize, fileSize);
        List<Keyslot> keyslots = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : root.get("keyslots").properties()) {
            keyslots.add(keyslot(entry.getKey(), entry.getValue()));
        }
        List<Digest> digests = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : root.get("digests").properties()) {
            digests.add(digest(entry.getKey(), entry.getValue()));
        }
        JsonNode config = root.get("config");
        return new Luks2Metadata(keyslots, digests, segment, decimal(config.path("json_size")),
                decimal(config.path("keyslots_size")));
    }

    /** The data segment with the lowest id, checked against the headers and the file. */
    private static Segment dataSegment(JsonNode segments, long hdrSize, long fileSize) {
        JsonNode first = null;
        long firstId = Long.MAX_VALUE;
        Set<Long> ids = new HashSet<>();
        for (Map.Entry<String, JsonNode> entry : segments.properties()) {
            long id = parseUnsigned(entry.getKey(), "LUKS2 segment id");
            // Strict JSON refuses a repeated key, but "0" and "00" are two keys for segment 0:
            // cryptsetup and this parser could each take a different one as the data segment.
            if (!ids.add(id)) {
                throw malformed("LUKS2 segment id '" + abbreviate(entry.getKey()) + "' repeats segment " + id);
            }
            // Ids are unique here, so "id <= firstId" would pick the same segment.
            if (id < firstId) {
                firstId = id;
                first = entry.getValue();
            }
        }
        if (first == null || !first.isObject()) {
            throw malformed("LUKS2 metadata has no data segment");
        }
        long offset = parseUnsigned(first.path("offset").asText(""), "LUKS2 segment offset");
        // LUKS2 spec: data follows both header copies and the key slot area.
        if (offset < 2 * hdrSize || offset > fileSize) {
            throw malformed("LUKS2 segment offset " + offset + " overlaps the headers or lies beyond the image of "
                    + fileSize + " bytes");
        }
        String sizeText = first.path("size").asText("");
        OptionalLong size = OptionalLong.empty();
        if (!sizeText.equals(DYNAMIC)) {
            long length = parseUnsigned(sizeText, "LUKS2 segment size");
            if (length > fileSize - offset) {
                throw new LuksFormatException(LuksFormatException.Kind.TRUNCATED, offset, "LUKS2 data segment at offset "
                        + offset + " with length " + length + " lies outside the image of " + fileSize + " bytes");
            }
            size = OptionalLong.of(length);
        }
        return new Segment(firstId, text(first.path("type")), offset, size, text(first.path("encryption")),
                integer(first.path("sector_size")));
    }

    private static Keyslot keyslot(String id, JsonNode slot) {
        JsonNode area = slot.path("area");
        JsonNode af = slot.path("af");
        JsonNode kdf = slot.path("kdf");
        return new Keyslot(UntrustedText.sanitize(id), text(slot.path("type")), integer(slot.path("key_size")),
                area.isObject() ? Optional.of(new Area(text(area.path("type")), decimal(area.path("offset")),
                        decimal(area.path("size")), text(area.path("encryption")), integer(area.path("key_size"))))
                        : Optional.empty(),
                af.isObject() ? Optional.of(new AntiForensic(text(af.path("type")), integer(af.path("stripes")),
                        text(af.path("hash")))) : Optional.empty(),
                kdf.isObject() ? Optional.of(new Kdf(text(kdf.path("type")), text(kdf.path("hash")),
                        integer(kdf.path("iterations")), integer(kdf.path("time")), integer(kdf.path("memory")),
                        integer(kdf.path("cpus")), text(kdf.path("salt")))) : Optional.empty());
    }

    private static Digest digest(String id, JsonNode digest) {
        return new Digest(UntrustedText.sanitize(id), text(digest.path("type")), ids(digest.path("keyslots")),
                ids(digest.path("segments")), text(digest.path("hash")), integer(digest.path("iterations")),
                text(digest.path("salt")), text(digest.path("digest")));
    }

    /** A JSON string as sanitized text, or empty for anything else. */
    private static String text(JsonNode node) {
        return node.isTextual() ? UntrustedText.sanitize(node.textValue()) : "";
    }

    /** A JSON array of string ids; other elements are skipped. */
    private static List<String> ids(JsonNode node) {
        List<String> ids = new ArrayList<>();
        if (node.isArray()) {
            for (JsonNode element : node) {
                if (element.isTextual()) {
                    ids.add(UntrustedText.sanitize(element.textValue()));
                }
            }
        }
        return ids;
    }

    /** A non-negative JSON integer that fits a long, or empty. */
    private static OptionalLong integer(JsonNode node) {
        return node.isIntegralNumber() && node.canConvertToLong() && node.longValue() >= 0
                ? OptionalLong.of(node.longValue()) : OptionalLong.empty();
    }

    /** A JSON string of up to 18 decimal digits (LUKS2 writes 64-bit numbers as strings), or empty. */
    private static OptionalLong decimal(JsonNode node) {
        return node.isTextual() && isDecimal(node.textValue()) ? OptionalLong.of(Long.parseLong(node.textValue()))
                : OptionalLong.empty();
    }

    private static boolean isDecimal(String text) {
        return !text.isEmpty() && text.length() <= MAX_DIGITS && text.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    private static long parseUnsigned(String text, String what) {
        if (!isDecimal(text)) {
            throw malformed(what + " '" + abbreviate(text) + "' is not a decimal number");
        }
        return Long.parseLong(text);
    }

    private static String abbreviate(String text) {
        return text.length() <= 24 ? text : text.substring(0, 24) + "...";
    }

    private static LuksFormatException malformed(String reason) {
        return LuksFormatException.malformed(JSON_OFFSET, reason);
    }
}
