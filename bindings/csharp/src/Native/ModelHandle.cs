// The handle of a wdc_model, owned by a Wdc.Model.
using System;
using Microsoft.Win32.SafeHandles;

namespace Wdc.Native
{
    /// <summary>
    /// Owns one <c>wdc_model*</c>. The P/Invoke marshaller increments the handle's reference count
    /// around every call that takes it, so <see cref="ReleaseHandle"/> (<c>wdc_free</c>) only runs
    /// once no call on the model is in flight, even when Dispose races with other threads, and at
    /// the latest from the critical finalizer if the owner was never disposed.
    /// </summary>
    internal sealed class ModelHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        /// <summary>Used by the marshaller for <c>out ModelHandle</c> (wdc_create, wdc_load).</summary>
        public ModelHandle() : base(true)
        {
        }

        protected override bool ReleaseHandle()
        {
            WdcCapi.wdc_free(handle);
            return true;
        }
    }
}
