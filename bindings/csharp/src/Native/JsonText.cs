// The little JSON the binding itself needs: quoting strings for the options it writes, and reading
// one member of an object the library returned (the public API hands JSON on as text).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Wdc.Native
{
    internal static class JsonText
    {
        /// <summary>A JSON string literal of <paramref name="value"/>, quotes included.</summary>
        public static string Quote(string value)
        {
            var text = new StringBuilder(value.Length + 2);
            text.Append('"');
            foreach (char c in value)
            {
                switch (c)
                {
                    case '"': text.Append("\\\""); break;
                    case '\\': text.Append("\\\\"); break;
                    case '\b': text.Append("\\b"); break;
                    case '\f': text.Append("\\f"); break;
                    case '\n': text.Append("\\n"); break;
                    case '\r': text.Append("\\r"); break;
                    case '\t': text.Append("\\t"); break;
                    default:
                        if (c < 0x20)
                            text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else
                            text.Append(c);
                        break;
                }
            }
            return text.Append('"').ToString();
        }

        /// <summary>A JSON array of string literals.</summary>
        public static string StringArray(IEnumerable<string> values)
        {
            var text = new StringBuilder("[");
            foreach (string value in values)
            {
                if (text.Length > 1)
                    text.Append(',');
                text.Append(Quote(value));
            }
            return text.Append(']').ToString();
        }

        /// <summary>The text of the value of member <paramref name="key"/> of the JSON object
        /// <paramref name="json"/> (e.g. <c>true</c>, <c>12</c>, <c>"x"</c> with its quotes, or a
        /// whole nested object); null when the object has no such member.</summary>
        /// <exception cref="FormatException">The text is not a JSON object.</exception>
        public static string Member(string json, string key)
        {
            int at = 0;
            SkipSpace(json, ref at);
            Expect(json, ref at, '{');
            SkipSpace(json, ref at);
            if (Peek(json, at) == '}')
                return null;
            while (true)
            {
                SkipSpace(json, ref at);
                int keyStart = at;
                SkipString(json, ref at);
                string name = Unquote(json.Substring(keyStart, at - keyStart));
                SkipSpace(json, ref at);
                Expect(json, ref at, ':');
                SkipSpace(json, ref at);
                int valueStart = at;
                SkipValue(json, ref at);
                if (name == key)
                    return json.Substring(valueStart, at - valueStart);
                SkipSpace(json, ref at);
                if (Peek(json, at) == '}')
                    return null;
                Expect(json, ref at, ',');
            }
        }

        /// <summary>The member <paramref name="key"/> of the object as a bool; false when it is
        /// missing or not <c>true</c>.</summary>
        public static bool IsTrue(string json, string key)
        {
            return Member(json, key) == "true";
        }

        private static char Peek(string json, int at)
        {
            if (at >= json.Length)
                throw new FormatException("unexpected end of JSON");
            return json[at];
        }

        private static void Expect(string json, ref int at, char c)
        {
            if (Peek(json, at) != c)
                throw new FormatException("expected '" + c + "' at " + at + " of the JSON");
            ++at;
        }

        private static void SkipSpace(string json, ref int at)
        {
            while (at < json.Length && (json[at] == ' ' || json[at] == '\t' || json[at] == '\n' ||
                                        json[at] == '\r'))
                ++at;
        }

        private static void SkipString(string json, ref int at)
        {
            Expect(json, ref at, '"');
            while (Peek(json, at) != '"')
                at += json[at] == '\\' ? 2 : 1;
            ++at;
        }

        private static void SkipValue(string json, ref int at)
        {
            char c = Peek(json, at);
            if (c == '"')
            {
                SkipString(json, ref at);
                return;
            }
            if (c == '{' || c == '[')
            {
                char close = c == '{' ? '}' : ']';
                ++at;
                SkipSpace(json, ref at);
                if (Peek(json, at) == close)
                {
                    ++at;
                    return;
                }
                while (true)
                {
                    SkipSpace(json, ref at);
                    if (c == '{')
                    {
                        SkipString(json, ref at);
                        SkipSpace(json, ref at);
                        Expect(json, ref at, ':');
                        SkipSpace(json, ref at);
                    }
                    SkipValue(json, ref at);
                    SkipSpace(json, ref at);
                    if (Peek(json, at) == close)
                    {
                        ++at;
                        return;
                    }
                    Expect(json, ref at, ',');
                }
            }
            // A number, true, false or null: up to the next delimiter.
            int start = at;
            while (at < json.Length && ",}] \t\r\n".IndexOf(json[at]) < 0)
                ++at;
            if (at == start)
                throw new FormatException("unexpected '" + c + "' at " + at + " of the JSON");
        }

        // The keys this binding looks up are plain ASCII; escapes are decoded for comparison.
        private static string Unquote(string literal)
        {
            if (literal.IndexOf('\\') < 0)
                return literal.Substring(1, literal.Length - 2);
            var text = new StringBuilder();
            for (int i = 1; i < literal.Length - 1; ++i)
            {
                char c = literal[i];
                if (c != '\\')
                {
                    text.Append(c);
                    continue;
                }
                char e = literal[++i];
                switch (e)
                {
                    case 'b': text.Append('\b'); break;
                    case 'f': text.Append('\f'); break;
                    case 'n': text.Append('\n'); break;
                    case 'r': text.Append('\r'); break;
                    case 't': text.Append('\t'); break;
                    case 'u':
                        text.Append((char)int.Parse(literal.Substring(i + 1, 4), NumberStyles.HexNumber,
                                                    CultureInfo.InvariantCulture));
                        i += 4;
                        break;
                    default: text.Append(e); break;
                }
            }
            return text.ToString();
        }
    }
}
