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
     * @throws IllegalArgumentException if the type or a property name is not a plain identifier
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

    /** A {@code secret} object whose value qemu reads from {@code file} (make it 0600). */
    public static QemuObject secretFile(String id, Path file) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("id", id);
        props.put("file", file.toString());
        return new QemuObject("secret", props);
    }

    /** The {@code --object} argument: {@code type,key=value,...} with commas in values doubled. */
    public String toArgument() {
        StringBuilder arg = new StringBuilder(type);
        properties.forEach((key, value) -> arg.append(',').append(key).append('=').append(QemuImg.escapeOptionValue(value)));
        return arg.toString();
    }
}
