package dev.archcore.util;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON through jackson-core's streaming API. databind's ObjectMapper costs a few hundred milliseconds of class
 * loading in a fresh JVM, more than a warm image build may take. The generators and pretty printer are the ones
 * ObjectMapper used, so the bytes (and the digests over them) are those it wrote.
 */
public final class Json {
    private static final JsonFactory FACTORY = new JsonFactory();

    private Json() {
    }

    @FunctionalInterface
    public interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    @FunctionalInterface
    public interface Reader<T> {
        /** Reads the value the parser is on. */
        T read(JsonParser p) throws IOException;
    }

    /** Compact UTF-8, as {@code ObjectMapper.writeValueAsBytes}. */
    public static byte[] bytes(Body body) {
        return bytes(body, false);
    }

    /** Indented by {@code DefaultPrettyPrinter}, as {@code writeValueAsBytes} with {@code INDENT_OUTPUT}. */
    public static byte[] prettyBytes(Body body) {
        return bytes(body, true);
    }

    /**
     * As {@code writeValueAsString} with {@code INDENT_OUTPUT}: a character generator, which keeps characters
     * beyond the BMP as they are where the byte generator escapes them as surrogate pairs.
     */
    public static String prettyString(Body body) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            body.write(g.useDefaultPrettyPrinter());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static byte[] bytes(Body body, boolean pretty) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            body.write(pretty ? g.useDefaultPrettyPrinter() : g);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // no I/O: a ByteArrayOutputStream
        }
        return out.toByteArray();
    }

    public static JsonParser parser(byte[] json) throws IOException {
        return FACTORY.createParser(json);
    }

    public static JsonParser parser(String json) throws IOException {
        return FACTORY.createParser(json);
    }

    /** Moves a new parser onto the root value and checks it is an object. */
    public static JsonParser startObject(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw problem(p, "expected an object");
        }
        return p;
    }

    /**
     * The next field's name, with the parser on its value, or null at the end of the object. Callers skip the
     * fields they do not know with {@link JsonParser#skipChildren()}: unknown fields are ignored.
     */
    public static String nextField(JsonParser p) throws IOException {
        String name = p.nextFieldName();
        if (name != null) {
            p.nextToken();
        }
        return name;
    }

    /** A string (a number or boolean as its text, as databind coerces them), or null. */
    public static String string(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        if (!p.currentToken().isScalarValue()) {
            throw problem(p, "expected a string");
        }
        return p.getText();
    }

    /** A whole number, also when written as a string. */
    public static long number(JsonParser p) throws IOException {
        if (p.currentToken().isNumeric()) {
            return p.getValueAsLong();
        }
        if (p.currentToken() == JsonToken.VALUE_STRING) {
            try {
                return Long.parseLong(p.getText().strip());
            } catch (NumberFormatException e) {
                // below
            }
        }
        throw problem(p, "expected a number");
    }

    /** An array of values read by {@code element}, or null for {@code null}. */
    public static <T> List<T> list(JsonParser p, Reader<T> element) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw problem(p, "expected an array");
        }
        List<T> out = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            out.add(element.read(p));
        }
        return out;
    }

    /** An error naming where in the document the parser is, e.g. {@code /packages/2/csize}. */
    public static JsonParseException problem(JsonParser p, String what) {
        String at = p.getParsingContext().pathAsPointer().toString();
        return new JsonParseException(p, what + (at.isEmpty() ? "" : " at " + at));
    }

    /** A parse error as one line: its message without Jackson's source excerpt, and the line and column. */
    public static String describe(IOException e) {
        if (e instanceof JsonProcessingException j && j.getLocation() != null) {
            return j.getOriginalMessage() + " (line " + j.getLocation().getLineNr() + ", column "
                    + j.getLocation().getColumnNr() + ")";
        }
        return e.getMessage();
    }
}
