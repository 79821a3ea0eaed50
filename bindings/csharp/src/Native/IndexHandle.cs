// The handle of a wdc_index, owned by a Wdc.MapIndex.
using System;
using Microsoft.Win32.SafeHandles;

namespace Wdc.Native
{
    /// <summary>
    /// Owns one <c>wdc_index*</c>, as <see cref="ModelHandle"/> owns a model: the P/Invoke
    /// marshaller increments the reference count around every call that takes it, so
    /// <see cref="ReleaseHandle"/> (<c>wdc_index_free</c>) only runs once no call on the index
    /// is in flight, and at the latest from the critical finalizer.
    /// </summary>
    internal sealed class IndexHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        /// <summary>Used by the marshaller for <c>out IndexHandle</c> (wdc_index_build,
        /// _load).</summary>
        public IndexHandle() : base(true)
        {
        }

        protected override bool ReleaseHandle()
        {
            WdcCapi.wdc_index_free(handle);
            return true;
        }
    }
}
