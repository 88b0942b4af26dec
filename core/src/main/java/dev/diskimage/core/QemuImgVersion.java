package dev.diskimage.core;

import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A qemu-img version, {@code major.minor.micro}, ordered numerically (so 2.10 is newer than 2.9).
 *
 * @param major major version, not negative
 * @param minor minor version, not negative
 * @param micro micro (patch) version, not negative
 */
public record QemuImgVersion(int major, int minor, int micro) implements Comparable<QemuImgVersion> {

    /** qemu 2.10 added {@code -U/--force-share}, needed to inspect images in use. */
    public static final QemuImgVersion FORCE_SHARE = new QemuImgVersion(2, 10, 0);

    // "qemu-img version 7.2.22 (Debian 1:7.2+dfsg-7)", "qemu-img version 2.10.0", "version 1.5"
    private static final Pattern VERSION_LINE =
            Pattern.compile("(?m)^\\s*qemu-img\\s+version\\s+v?(\\d{1,9})\\.(\\d{1,9})(?:\\.(\\d{1,9}))?");
    private static final Pattern BARE_VERSION = Pattern.compile("^v?(\\d{1,9})\\.(\\d{1,9})(?:\\.(\\d{1,9}))?$");

    private static final Comparator<QemuImgVersion> ORDER = Comparator.comparingInt(QemuImgVersion::major)
            .thenComparingInt(QemuImgVersion::minor)
            .thenComparingInt(QemuImgVersion::micro);

    /**
     * Checks that no part is negative.
     *
     * @param major major version, not negative
     * @param minor minor version, not negative
     * @param micro micro (patch) version, not negative
     * @throws IllegalArgumentException if a part is negative
     */
    public QemuImgVersion {
        if (major < 0 || minor < 0 || micro < 0) {
            throw new IllegalArgumentException("negative version part: " + major + "." + minor + "." + micro);
        }
    }

    /**
     * Parses the output of {@code qemu-img --version}: the first line of the form
     * {@code qemu-img version X.Y[.Z]...}; anything after the number (a distribution suffix,
     * {@code (Debian ...)}, {@code -rc1}) is ignored.
     *
     * @param output what {@code qemu-img --version} printed on stdout; null is treated as empty
     * @return the version of the first such line, micro 0 when it has only two parts
     * @throws ImageException if no version line is found
     */
    public static QemuImgVersion parseVersionOutput(String output) {
        Matcher m = VERSION_LINE.matcher(output == null ? "" : output);
        if (!m.find()) {
            throw new ImageException("cannot find a version in qemu-img --version output: "
                    + abbreviate(output));
        }
        return fromMatch(m);
    }

    /**
     * Parses {@code X.Y} or {@code X.Y.Z}, for example a configured minimum version.
     *
     * @param version the text, optionally with a leading {@code v} and surrounding white space
     * @return the version, micro 0 when the text has only two parts
     * @throws IllegalArgumentException if the text is not such a version
     */
    public static QemuImgVersion of(String version) {
        Matcher m = BARE_VERSION.matcher(version == null ? "" : version.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a version (X.Y or X.Y.Z): " + version);
        }
        return fromMatch(m);
    }

    private static QemuImgVersion fromMatch(Matcher m) {
        int micro = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
        return new QemuImgVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), micro);
    }

    private static String abbreviate(String text) {
        if (text == null) {
            return "<none>";
        }
        String oneLine = text.strip();
        return oneLine.length() > 200 ? oneLine.substring(0, 200) + "..." : oneLine;
    }

    /**
     * Whether this version is {@code minimum} or newer.
     *
     * @param minimum the version to compare with; not null
     * @return true if this version is equal to or newer than {@code minimum}
     */
    public boolean isAtLeast(QemuImgVersion minimum) {
        return compareTo(minimum) >= 0;
    }

    @Override
    public int compareTo(QemuImgVersion other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + micro;
    }
}
