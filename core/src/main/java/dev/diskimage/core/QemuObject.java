package dev.diskimage.core;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A QEMU user-creatable object passed with {@code --object}, such as the secret that unlocks a
 * LUKS image. Secrets belong in files ({@link #secretFile(String, Path)}), never in
 * {@code data=} on a command line that {@code ps} shows to every user.
 *
 * @param type the object type, e.g. {@code secret}
 * @param properties properties in order; commas in values are escaped when rendered
 */
public record QemuObject(String type, Map<String, String> properties) {
    private static final Pattern NAME = Pattern.compile("^[A-Za-z][A-Za-z0-9_.-]*$");

    /**
     * Checks that the type and every property name are plain identifiers (a letter, then
     * letters, digits, {@code _}, {@code .} or {@code -}), and copies the properties in order.
     *
     * @param type the object type, e.g. {@code secret}
     * @param properties properties in order; commas in values are escaped when rendered
     * @throws IllegalArgumentException if the type or a property name is not a plain identifier
     * @throws NullPointerException if the type, the map or a property name is null
     */
    public QemuObject {
        if (!NAME.matcher(type).matches()) {
            throw new IllegalArgumentException("bad object type: " + type);
        }
        for (String key : properties.keySet()) {
            if (!NAME.matcher(key).matches()) {
                throw new IllegalArgumentException("bad object property name: " + key);
            }
        }
        properties = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(properties));
    }

    /**
     * A {@code secret} object whose value qemu reads from {@code file} (make it 0600).
     *
     * @param id the object id that options such as {@code key-secret} refer to
     * @param file the file holding the secret, passed to qemu as {@code file=<path>}
     * @return a {@code secret} object with the properties {@code id} and {@code file}
     */
    public static QemuObject secretFile(String id, Path file) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("id", id);
        props.put("file", file.toString());
        return new QemuObject("secret", props);
    }

    /**
     * The {@code --object} argument: {@code type,key=value,...} with commas in values doubled.
     *
     * @return the text to pass after {@code --object}
     */
    public String toArgument() {
        StringBuilder arg = new StringBuilder(type);
        properties.forEach((key, value) -> arg.append(',').append(key).append('=').append(QemuImg.escapeOptionValue(value)));
        return arg.toString();
    }
}
