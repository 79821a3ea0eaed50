// Multidimensional C# arrays to the flat, row-major buffers of the C ABI.
using System;

namespace Wdc.Native
{
    internal static class Buffers
    {
        /// <summary>A copy of a byte array of any rank, in row-major order (the order in which
        /// C# lays out a multidimensional array).</summary>
        public static byte[] Flatten(Array bytes)
        {
            byte[] flat = new byte[bytes.Length];
            Buffer.BlockCopy(bytes, 0, flat, 0, flat.Length);
            return flat;
        }
    }
}
