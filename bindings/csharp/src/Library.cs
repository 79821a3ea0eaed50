using Wdc.Native;

namespace Wdc
{
    /// <summary>The native library (libwdc.so.1) this binding calls.</summary>
    public static class Library
    {
        /// <summary>The ABI version this binding was generated for (<c>WDC_ABI_VERSION</c>).</summary>
        public const int BindingAbiVersion = WdcCapi.WDC_ABI_VERSION;

        /// <summary>The library's version, "MAJOR.MINOR.PATCH" (<c>wdc_version</c>).</summary>
        public static string Version
        {
            get { return WdcCapi.wdc_version(); }
        }

        /// <summary>The ABI version of the loaded library (<c>wdc_abi_version</c>); equal to
        /// <see cref="BindingAbiVersion"/>, since the shim links libwdc.so.1 by its SONAME.</summary>
        public static int AbiVersion
        {
            get { return WdcCapi.wdc_abi_version(); }
        }
    }
}
