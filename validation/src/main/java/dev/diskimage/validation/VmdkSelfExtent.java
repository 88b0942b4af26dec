package dev.diskimage.validation;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Decides whether an extent line in a sparse file's own descriptor can only mean that file.
 *
 * <p>A hosted sparse file ({@code KDMV}) carries a descriptor whose one extent is the file itself.
 * qemu ignores that line, but other consumers follow it, so it is a way to point outside the
 * image. The inspector does not know the file's real name (images are stored renamed), so "names
 * itself" is decided from the line alone: one {@code SPARSE} extent, as large as the header's
 * capacity, starting at offset 0, named by a bare file name that no consumer can resolve to
 * anything but a file in the image's own directory. Every other line names another file.
 */
final class VmdkSelfExtent {

    /** POSIX NAME_MAX and the Windows component limit: a longer name is no file name. */
    static final int MAX_NAME_BYTES = 255;

    /** Windows device names, valid in every directory and with any extension ("NUL.vmdk"). */
    private static final Pattern WINDOWS_DEVICE = Pattern.compile(
            "(CON|PRN|AUX|NUL|CONIN\\$|CONOUT\\$|COM[0-9\u00b9\u00b2\u00b3]|LPT[0-9\u00b9\u00b2\u00b3])");

    /**
     * Characters that Windows "best fit" code-page mapping turns into a path separator or a drive
     * colon although Unicode normalization leaves them alone (division slash, fraction slash,
     * set minus, big solidus and reverse solidus).
     */
    private static final Set<Character> SEPARATOR_LOOKALIKES =
            Set.of('\u2215', '\u2044', '\u2216', '\u29f8', '\u29f9');

    private VmdkSelfExtent() {
    }

    /** Whether {@code extent} can only be the sparse file of {@code capacitySectors} itself. */
    static boolean namesImageItself(VmdkDescriptor.Extent extent, long capacitySectors) {
        return extent.type() == VmdkDescriptor.ExtentType.SPARSE
                && extent.sectors() == capacitySectors
                && (extent.offset().isEmpty() || extent.offset().getAsLong() == 0)
                && extent.fileName().filter(VmdkSelfExtent::isBareFileName).isPresent();
    }

    /**
     * Whether {@code name} is a plain file name in the current directory for every consumer:
     * not empty, no directory separator of any platform, not {@code .} or {@code ..}, no
     * {@code :} (URL schemes and qemu protocol prefixes such as {@code nbd:}, drive letters,
     * NTFS streams), no Windows device name, no control or invisible formatting character, no
     * undecodable byte, no leading or trailing blank and no trailing dot (which Windows strips),
     * at most {@link #MAX_NAME_BYTES} bytes; also after Unicode compatibility normalization,
     * which maps look-alikes such as the fullwidth solidus to the real separator.
     */
    static boolean isBareFileName(String name) {
        if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            return false;
        }
        return isBareAsWritten(name) && isBareAsWritten(Normalizer.normalize(name, Normalizer.Form.NFKC));
    }

    private static boolean isBareAsWritten(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..")) {
            return false;
        }
        char first = name.charAt(0);
        char last = name.charAt(name.length() - 1);
        if (Character.isWhitespace(first) || Character.isWhitespace(last) || Character.isSpaceChar(first)
                || Character.isSpaceChar(last) || last == '.') {
            return false;
        }
        for (int i = 0; i < name.length(); ) {
            int c = name.codePointAt(i);
            i += Character.charCount(c);
            if (c == '/' || c == '\\' || c == ':' || c == '\uFFFD' || Character.isISOControl(c)
                    || (c <= 0xffff && SEPARATOR_LOOKALIKES.contains((char) c))) {
                return false;
            }
            int type = Character.getType(c);
            if (type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE
                    || type == Character.PRIVATE_USE || type == Character.UNASSIGNED) {
                return false;
            }
        }
        int dot = name.indexOf('.');
        String stem = (dot < 0 ? name : name.substring(0, dot)).strip().toUpperCase(Locale.ROOT);
        return !WINDOWS_DEVICE.matcher(stem).matches();
    }
}
