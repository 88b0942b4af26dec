package dev.diskimage.core.service;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Changes to an image's record ({@code ImageService.update}): values to set and properties to
 * remove. Names are the service's attribute and property names ({@code name}, {@code min_disk},
 * {@code hw_disk_bus}, ...).
 *
 * @param set attributes and properties to set, with their new values
 * @param remove properties to remove
 */
public record ImageChanges(Map<String, String> set, Set<String> remove) {

    /** Validates and copies the parts; one name cannot be both set and removed. */
    public ImageChanges {
        set = Map.copyOf(new LinkedHashMap<>(set));
        remove = Set.copyOf(remove);
        for (String key : remove) {
            if (set.containsKey(key)) {
                throw new IllegalArgumentException("property " + key + " is both set and removed");
            }
        }
    }

    /**
     * Changes that set values.
     *
     * @param values the names and their new values
     * @return the changes
     */
    public static ImageChanges setting(Map<String, String> values) {
        return new ImageChanges(values, Set.of());
    }

    /**
     * These changes plus one more value to set.
     *
     * @param key the name
     * @param value its new value
     * @return the new changes
     */
    public ImageChanges andSet(String key, String value) {
        Map<String, String> values = new LinkedHashMap<>(set);
        values.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return new ImageChanges(values, remove);
    }

    /**
     * These changes plus one property to remove.
     *
     * @param key the property's name
     * @return the new changes
     */
    public ImageChanges andRemove(String key) {
        Set<String> keys = new java.util.LinkedHashSet<>(remove);
        keys.add(Objects.requireNonNull(key, "key"));
        return new ImageChanges(set, keys);
    }
}
