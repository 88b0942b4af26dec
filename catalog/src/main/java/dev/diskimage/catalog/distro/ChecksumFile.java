package dev.diskimage.catalog.distro;

import dev.diskimage.catalog.cache.Checksum;
import dev.diskimage.catalog.cache.ChecksumAlgorithm;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checksum files distros publish beside their images, in the two styles they use:
 * <ul>
 *   <li>BSD style, one {@code ALGO (file) = hex} per line: Fedora's and CentOS's
 *       {@code CHECKSUM}, FreeBSD's {@code CHECKSUM.SHA256}; Fedora's comes inside a PGP
 *       clear-signed message, whose armour, headers, signature block and dash-escaping
 *       ({@code - } before a line) are skipped;</li>
 *   <li>coreutils style, {@code hex  file} (text mode) or {@code hex *file} (binary mode):
 *       Ubuntu's {@code SHA256SUMS}, Debian's {@code SHA512SUMS}, CirrOS's {@code MD5SUMS}, an
 *       openSUSE {@code .sha256}; the algorithm comes from the digest's length, or from the
 *       file's name when it says ({@code SHA512SUMS}).</li>
 * </ul>
 * Comments ({@code #}) and lines in neither style are ignored; the signature itself is not
 * verified (the download's checksum is, and the validator admits the image). Only the first
 * {@link #MAX_LINES} lines are read.
 */
final class ChecksumFile {
    /** Checksum files larger than this are refused: Fedora's is about 1 KiB. */
    static final int MAX_BYTES = 1 << 20;
    /** At most this many lines are read. */
    static final int MAX_LINES = 20_000;

    private static final Pattern BSD = Pattern.compile("([A-Za-z0-9-]+) \\((.+)\\) = ([0-9A-Fa-f]+)");
    private static final Pattern COREUTILS = Pattern.compile("([0-9A-Fa-f]+) [ *](.+)");

    private final Map<String, Checksum> byFile;

    private ChecksumFile(Map<String, Checksum> byFile) {
        this.byFile = byFile;
    }

    /**
     * Parses a checksum file.
     *
     * @param fileName the checksum file's own name ({@code SHA512SUMS}, {@code CHECKSUM}): names
     *     the algorithm of coreutils-style lines when it names one
     * @param text the file's content
     * @return the checksums by image file name; a file listed twice keeps its first line
     */
    static ChecksumFile parse(String fileName, String text) {
        Optional<ChecksumAlgorithm> named = algorithmNamedBy(fileName);
        Map<String, Checksum> byFile = new LinkedHashMap<>();
        boolean inSignature = false;
        boolean inHeaders = false;
        int count = 0;
        for (String raw : text.split("\r?\n|\r", -1)) {
            if (++count > MAX_LINES) {
                break;
            }
            String line = raw.strip();
            if (line.startsWith("-----BEGIN PGP SIGNED MESSAGE")) {
                inHeaders = true;
                continue;
            }
            if (inHeaders) {
                // Armour headers (Hash: SHA256) run until the first blank line.
                inHeaders = !line.isEmpty();
                continue;
            }
            if (line.startsWith("-----BEGIN PGP SIGNATURE")) {
                inSignature = true;
                continue;
            }
            if (inSignature) {
                inSignature = !line.startsWith("-----END PGP SIGNATURE");
                continue;
            }
            if (line.startsWith("- ")) {
                // RFC 4880 7.1: dash-escaped text in a clear-signed message
                line = line.substring(2);
            }
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            entry(line, named).ifPresent(e -> byFile.putIfAbsent(e.getKey(), e.getValue()));
        }
        return new ChecksumFile(byFile);
    }

    private static Optional<Map.Entry<String, Checksum>> entry(String line, Optional<ChecksumAlgorithm> named) {
        Matcher bsd = BSD.matcher(line);
        if (bsd.matches()) {
            try {
                ChecksumAlgorithm algorithm = ChecksumAlgorithm.fromName(bsd.group(1));
                return Optional.of(Map.entry(bsd.group(2), new Checksum(algorithm, bsd.group(3))));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        Matcher coreutils = COREUTILS.matcher(line);
        if (coreutils.matches()) {
            String hex = coreutils.group(1);
            Optional<ChecksumAlgorithm> algorithm = named.isPresent() ? named : byLength(hex.length());
            if (algorithm.isEmpty() || algorithm.get().digestBytes() * 2 != hex.length()) {
                return Optional.empty();
            }
            return Optional.of(Map.entry(coreutils.group(2), new Checksum(algorithm.get(), hex)));
        }
        return Optional.empty();
    }

    private static Optional<ChecksumAlgorithm> byLength(int hexDigits) {
        for (ChecksumAlgorithm algorithm : ChecksumAlgorithm.values()) {
            if (algorithm.digestBytes() * 2 == hexDigits) {
                return Optional.of(algorithm);
            }
        }
        return Optional.empty();
    }

    /** The algorithm a checksum file's name announces: SHA256SUMS, MD5SUMS, CHECKSUM.SHA512, x.sha256. */
    static Optional<ChecksumAlgorithm> algorithmNamedBy(String fileName) {
        String name = fileName.toUpperCase(Locale.ROOT);
        for (ChecksumAlgorithm algorithm : ChecksumAlgorithm.values()) {
            String label = algorithm.label().toUpperCase(Locale.ROOT);
            if (name.equals(label + "SUMS") || name.endsWith("." + label) || name.endsWith(label + "SUM")) {
                return Optional.of(algorithm);
            }
        }
        return Optional.empty();
    }

    /**
     * The checksum published for one file.
     *
     * @param imageFileName the image's file name as listed
     * @return its checksum, empty when the file does not list it
     */
    Optional<Checksum> forFile(String imageFileName) {
        return Optional.ofNullable(byFile.get(imageFileName));
    }

    /** How many files the checksum file lists. */
    int size() {
        return byFile.size();
    }
}
