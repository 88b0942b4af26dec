package dev.diskimage.cli;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses sizes the way storage operators write them: plain bytes, binary units as qemu-img reads
 * them ({@code 512M}, {@code 1G}, {@code 1TiB}), and SI units when spelled so ({@code 10GB}).
 */
final class SizeParser {
    private static final Pattern SIZE = Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*([A-Za-z]*)\\s*");
    private static final Map<String, Integer> BINARY_EXPONENT = Map.of(
            "", 0, "b", 0, "k", 1, "m", 2, "g", 3, "t", 4, "p", 5, "e", 6);
    private static final Map<String, Integer> SI_EXPONENT = Map.of(
            "kb", 1, "mb", 2, "gb", 3, "tb", 4, "pb", 5, "eb", 6);

    private SizeParser() {
    }

    /**
     * Parses {@code text} into bytes.
     *
     * @throws IllegalArgumentException for malformed text, fractional bytes, or sizes beyond 2^63-1
     */
    static long parse(String text) {
        Matcher matcher = SIZE.matcher(text == null ? "" : text);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("not a size: '" + text + "' (use e.g. 1073741824, 512M, 1G, 1TiB, 10GB)");
        }
        BigDecimal number = new BigDecimal(matcher.group(1));
        String unit = matcher.group(2);
        String lower = unit.toLowerCase(Locale.ROOT);
        BigDecimal multiplier;
        if (unit.length() == 2 && SI_EXPONENT.containsKey(lower) && unit.charAt(1) == 'B') {
            multiplier = BigDecimal.valueOf(1000).pow(SI_EXPONENT.get(lower));
        } else {
            String binary = lower.endsWith("ib") ? lower.substring(0, lower.length() - 2) : lower;
            Integer exponent = BINARY_EXPONENT.get(binary);
            if (exponent == null || (lower.endsWith("ib") && binary.isEmpty())) {
                throw new IllegalArgumentException("unknown size unit '" + unit + "' in '" + text + "'");
            }
            multiplier = BigDecimal.valueOf(1024).pow(exponent);
        }
        BigDecimal bytes = number.multiply(multiplier);
        BigInteger whole;
        try {
            whole = bytes.toBigIntegerExact();
        } catch (ArithmeticException fractional) {
            throw new IllegalArgumentException("size '" + text + "' is not a whole number of bytes");
        }
        if (whole.bitLength() > 63) {
            throw new IllegalArgumentException("size '" + text + "' is larger than " + Long.MAX_VALUE + " bytes");
        }
        return whole.longValueExact();
    }
}
