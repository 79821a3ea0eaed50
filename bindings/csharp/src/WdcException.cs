using System;
using Wdc.Native;

namespace Wdc
{
    /// <summary>A wdc call failed: carries the library's <see cref="Status"/> and its message
    /// (<c>wdc_last_error</c>).</summary>
    public class WdcException : Exception
    {
        /// <summary>Creates an exception for a failed call.</summary>
        /// <param name="status">The status the call returned.</param>
        /// <param name="nativeMessage">The library's message for the failure.</param>
        public WdcException(Status status, string nativeMessage)
            : base(Format(status, nativeMessage))
        {
            Status = status;
            NativeMessage = nativeMessage ?? string.Empty;
        }

        /// <summary>The status the failed call returned; a value not named in
        /// <see cref="Wdc.Status"/> if the library is newer than this binding.</summary>
        public Status Status { get; private set; }

        /// <summary>The status's name in the C ABI, e.g. <c>"WDC_E_IO"</c>.</summary>
        public string StatusName
        {
            get { return NameOf(Status); }
        }

        /// <summary>The library's message for the failure, as <c>wdc_last_error()</c> returned
        /// it right after the call.</summary>
        public string NativeMessage { get; private set; }

        internal static string NameOf(Status status)
        {
            return WdcCapi.wdc_status_name((int)status);
        }

        private static string Format(Status status, string nativeMessage)
        {
            string name = NameOf(status);
            return string.IsNullOrEmpty(nativeMessage) ? name : name + ": " + nativeMessage;
        }

        /// <summary>Throws for a status other than WDC_OK, with this thread's last error. Call
        /// it right after the native call, before any other wdc call on the thread.</summary>
        internal static void Check(int status)
        {
            if (status != WdcCapi.WDC_OK)
                throw FromStatus(status);
        }

        internal static WdcException FromStatus(int status)
        {
            return new WdcException((Status)status, WdcCapi.wdc_last_error());
        }
    }
}
