using Wdc.Native;

namespace Wdc
{
    /// <summary>The status codes of the C ABI (<c>wdc_status</c>, the <c>WDC_E_*</c> values of
    /// wdc.h). Later library versions may add values.</summary>
    public enum Status
    {
        /// <summary>Success (<c>WDC_OK</c>); never carried by a <see cref="WdcException"/>.</summary>
        Ok = WdcCapi.WDC_OK,
        /// <summary>An argument is invalid: a size &lt;= 0, sizes whose product overflows, a label
        /// index out of range (<c>WDC_E_INVALID_ARGUMENT</c>).</summary>
        InvalidArgument = WdcCapi.WDC_E_INVALID_ARGUMENT,
        /// <summary>A file could not be opened, read, written or renamed (<c>WDC_E_IO</c>).</summary>
        IO = WdcCapi.WDC_E_IO,
        /// <summary>A file's content is not what it should be: a corrupt, truncated or foreign model
        /// file, an npz without the expected arrays (<c>WDC_E_FORMAT</c>).</summary>
        Format = WdcCapi.WDC_E_FORMAT,
        /// <summary>A JSON text is malformed, has an unknown key or a value of the wrong type or
        /// range (<c>WDC_E_CONFIG</c>).</summary>
        Config = WdcCapi.WDC_E_CONFIG,
        /// <summary>This build, machine or model cannot do what was asked
        /// (<c>WDC_E_UNSUPPORTED</c>).</summary>
        Unsupported = WdcCapi.WDC_E_UNSUPPORTED,
        /// <summary>The progress callback asked training to stop (<c>WDC_E_CANCELLED</c>);
        /// <see cref="Model.Train(string, System.Func{Progress, bool})"/> reports it as an <see cref="System.OperationCanceledException"/>.</summary>
        Cancelled = WdcCapi.WDC_E_CANCELLED,
        /// <summary>Memory ran out (<c>WDC_E_OUT_OF_MEMORY</c>).</summary>
        OutOfMemory = WdcCapi.WDC_E_OUT_OF_MEMORY,
        /// <summary>Another thread is using the model in a way that excludes this call, e.g. a
        /// prediction during training (<c>WDC_E_BUSY</c>).</summary>
        Busy = WdcCapi.WDC_E_BUSY,
        /// <summary>The library was used wrongly (<c>WDC_E_MISUSE</c>).</summary>
        Misuse = WdcCapi.WDC_E_MISUSE,
        /// <summary>A bug in wdc; please report it with the message (<c>WDC_E_INTERNAL</c>).</summary>
        Internal = WdcCapi.WDC_E_INTERNAL,
        /// <summary>The device or the runtime under the library failed while doing valid work: a
        /// CUDA error (a kernel fault, a lost device) or an error inside LibTorch that is not a
        /// lack of memory; the message names what failed (<c>WDC_E_RUNTIME</c>).</summary>
        Runtime = WdcCapi.WDC_E_RUNTIME,
    }
}
