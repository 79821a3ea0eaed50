// The handle of a wdc_dataset, owned by a Wdc.Dataset.
using System;
using Microsoft.Win32.SafeHandles;

namespace Wdc.Native
{
    /// <summary>
    /// Owns one <c>wdc_dataset*</c>, as <see cref="ModelHandle"/> owns a model: the P/Invoke
    /// marshaller increments the reference count around every call that takes it, so
    /// <see cref="ReleaseHandle"/> (<c>wdc_dataset_free</c>) only runs once no call on the data
    /// set is in flight, and at the latest from the critical finalizer.
    /// </summary>
    internal sealed class DatasetHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        /// <summary>Used by the marshaller for <c>out DatasetHandle</c> (wdc_dataset_load,
        /// _create, _synthesize, _split).</summary>
        public DatasetHandle() : base(true)
        {
        }

        protected override bool ReleaseHandle()
        {
            WdcCapi.wdc_dataset_free(handle);
            return true;
        }
    }
}
