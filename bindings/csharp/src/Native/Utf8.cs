// Strings across the C ABI: NUL-terminated UTF-8 in both directions (see wdc.i).
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Wdc.Native
{
    internal static class Utf8
    {
        /// <summary>A NUL-terminated UTF-8 copy of <paramref name="value"/>; null for null.</summary>
        /// <exception cref="ArgumentException">The string contains a NUL character, which C
        /// would silently read as its end.</exception>
        public static byte[] Encode(string value)
        {
            if (value == null)
                return null;
            if (value.IndexOf('\0') >= 0)
                throw new ArgumentException("A string passed to wdc must not contain NUL characters.");
            int length = Encoding.UTF8.GetByteCount(value);
            byte[] bytes = new byte[length + 1];  // the last byte stays 0
            Encoding.UTF8.GetBytes(value, 0, value.Length, bytes, 0);
            return bytes;
        }

        /// <summary>The NUL-terminated UTF-8 string at <paramref name="text"/>, or null for a null
        /// pointer. Does not free it.</summary>
        public static string Decode(IntPtr text)
        {
            if (text == IntPtr.Zero)
                return null;
            int length = 0;
            while (Marshal.ReadByte(text, length) != 0)
                ++length;
            if (length == 0)
                return string.Empty;
            byte[] bytes = new byte[length];
            Marshal.Copy(text, bytes, 0, length);
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>Decodes a string that the library allocated (a <c>char **</c> out-parameter)
        /// and releases it with <c>wdc_string_free</c>, whatever happens.</summary>
        public static string DecodeAndFree(IntPtr text)
        {
            if (text == IntPtr.Zero)
                return null;
            try
            {
                return Decode(text);
            }
            finally
            {
                WdcCapi.wdc_string_free(text);
            }
        }
    }
}
