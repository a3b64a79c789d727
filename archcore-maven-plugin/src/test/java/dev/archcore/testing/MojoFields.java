package dev.archcore.testing;

import java.lang.reflect.Field;
import java.util.Arrays;

/** Sets a Mojo's parameter field as Maven would inject it, wherever in the class hierarchy it is declared. */
public final class MojoFields {
    private MojoFields() {
    }

    /** {@code name, value, name, value, ...} */
    public static void setAll(Object mojo, Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("parameter names and values come in pairs");
        }
        for (int i = 0; i < namesAndValues.length; i += 2) {
            set(mojo, (String) namesAndValues[i], namesAndValues[i + 1]);
        }
    }

    public static void set(Object mojo, String name, Object value) {
        Class<?> c = mojo.getClass();
        while (c != null && Arrays.stream(c.getDeclaredFields()).noneMatch(f -> f.getName().equals(name))) {
            c = c.getSuperclass();
        }
        if (c == null) {
            throw new IllegalArgumentException(mojo.getClass().getSimpleName() + " has no parameter field " + name);
        }
        try {
            Field f = c.getDeclaredField(name);
            f.setAccessible(true);
            f.set(mojo, value);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
