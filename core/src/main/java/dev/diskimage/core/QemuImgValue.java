package dev.diskimage.core;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A value qemu-img reported in a field this project does not model, kept as an immutable typed
 * tree so that a newer qemu's additions are neither lost nor able to change under the record
 * that holds them. The six kinds mirror JSON's.
 */
public sealed interface QemuImgValue {

    /**
     * A string.
     *
     * @param value the text as reported
     */
    record Text(String value) implements QemuImgValue {
        /**
         * Checks that the value is not null.
         *
         * @param value the text as reported
         * @throws NullPointerException if the value is null
         */
        public Text {
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * A number, integral or not, kept exactly.
     *
     * @param value the number as reported
     */
    record Num(BigDecimal value) implements QemuImgValue {
        /**
         * Checks that the value is not null.
         *
         * @param value the number as reported
         * @throws NullPointerException if the value is null
         */
        public Num {
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * A boolean.
     *
     * @param value the reported value
     */
    record Bool(boolean value) implements QemuImgValue {
    }

    /** JSON {@code null}. */
    record Null() implements QemuImgValue {
    }

    /**
     * An array.
     *
     * @param items the elements in order
     */
    record Items(List<QemuImgValue> items) implements QemuImgValue {
        /**
         * Copies the elements.
         *
         * @param items the elements in order
         * @throws NullPointerException if the list or an element is null
         */
        public Items {
            items = ImmutableList.copyOf(items);
        }
    }

    /**
     * An object.
     *
     * @param fields the members in the order reported
     */
    record Fields(Map<String, QemuImgValue> fields) implements QemuImgValue {
        /**
         * Copies the members, keeping their order.
         *
         * @param fields the members in the order reported
         * @throws NullPointerException if the map, a key or a value is null
         */
        public Fields {
            fields = ImmutableMap.copyOf(fields);
        }
    }
}
