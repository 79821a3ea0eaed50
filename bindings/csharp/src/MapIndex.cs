using System;
using Wdc.Native;

namespace Wdc
{
    /// <summary>
    /// An index of wafer maps for similar-map search (a <c>wdc_index</c> of the C ABI): each
    /// map's embedding (<see cref="Model.Embed(byte[,,])"/>) and labels, and the fingerprint of
    /// the model that embedded them. Built once from a data set, or loaded from a file that
    /// <see cref="Save"/> (or <c>wdc embed</c>) wrote, then queried many times with
    /// <see cref="Model.Similar(MapIndex, byte[,,], int)"/> and its overload.
    /// </summary>
    /// <remarks>
    /// <para>Only the model that built an index may query it: the index keeps that model's
    /// fingerprint (its network config and weights), and a query by another model, or by the same
    /// model after more training, throws a <see cref="WdcException"/> of status
    /// <see cref="Status.InvalidArgument"/>. A model loaded again from the same file (or
    /// <see cref="Model.LoadBuiltin"/> again) has the same fingerprint.</para>
    /// <para>Threading: an index never changes after it is made, so any number of threads may
    /// use one at once. <see cref="Dispose"/> may be called from any thread at any time: the
    /// index is freed once the last call in flight on it (its own or a <see cref="Model"/>'s) has
    /// returned.</para>
    /// <para>Errors: as for <see cref="Model"/>: a failed call throws <see cref="WdcException"/>,
    /// null arguments <see cref="ArgumentNullException"/>, and any call after
    /// <see cref="Dispose"/> <see cref="ObjectDisposedException"/>.</para>
    /// </remarks>
    public sealed class MapIndex : IDisposable
    {
        private readonly IndexHandle _handle;
        private readonly long _count;

        private MapIndex(IndexHandle handle)
        {
            _handle = handle;
            try
            {
                _count = WdcCapi.wdc_index_count(handle);
                if (_count < 0)
                    throw WdcException.FromStatus(WdcCapi.WDC_E_MISUSE);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        /// <summary>Embeds every map of a data set with a model (as
        /// <see cref="Model.Embed(Dataset, long, long)"/>) and keeps the embeddings with the data
        /// set's labels and the model's fingerprint. The index is independent of both: either may
        /// be disposed afterwards.</summary>
        /// <param name="model">The model that embeds the maps, and the only one that may query
        /// the index.</param>
        /// <param name="data">The maps to index (of any sizes); neighbour <c>"index"</c> j of
        /// <see cref="Model.Similar(MapIndex, byte[,,], int)"/> is map j of this data set.</param>
        /// <exception cref="ObjectDisposedException">The model or the data set was
        /// disposed.</exception>
        /// <exception cref="WdcException">InvalidArgument (maps the model cannot take), Busy
        /// (training or saving on another thread), OutOfMemory.</exception>
        public static MapIndex Build(Model model, Dataset data)
        {
            if (model == null)
                throw new ArgumentNullException("model");
            if (data == null)
                throw new ArgumentNullException("data");
            IndexHandle handle;
            int status = WdcCapi.wdc_index_build(model.Handle, data.Handle, out handle);
            return Wrap(status, handle);
        }

        /// <summary>Reads an index file that <see cref="Save"/> (or <c>wdc embed</c>) wrote: an
        /// npz of <c>embeddings</c> (N, D) float32, <c>labels</c> and <c>label_names</c> as in a
        /// data file, and <c>model</c>, the fingerprint of the model that made it. Rows are scaled
        /// to unit length.</summary>
        /// <param name="path">The npz file.</param>
        /// <param name="optionsJson">Null for the defaults, or
        /// <c>{"max_file_bytes": N}</c>: the largest array read (default 2 GiB).</param>
        /// <exception cref="WdcException">InvalidArgument (path ""), IO (cannot read), Format
        /// (not an npz, arrays missing or malformed, a value that is not finite), Config
        /// (optionsJson), OutOfMemory.</exception>
        public static MapIndex Load(string path, string optionsJson = null)
        {
            if (path == null)
                throw new ArgumentNullException("path");
            IndexHandle handle;
            int status = WdcCapi.wdc_index_load(path, optionsJson, out handle);
            return Wrap(status, handle);
        }

        private static MapIndex Wrap(int status, IndexHandle handle)
        {
            if (status != WdcCapi.WDC_OK)
            {
                WdcException error = WdcException.FromStatus(status);
                if (handle != null)
                    handle.Dispose();  // invalid (NULL): the library leaves `out` untouched
                throw error;
            }
            return new MapIndex(handle);
        }

        /// <summary>Writes the index as an npz file that <see cref="Load"/> reads back,
        /// atomically (a temporary file renamed over <paramref name="path"/>); a failure leaves
        /// any old file intact.</summary>
        /// <param name="path">The npz file to write.</param>
        /// <exception cref="WdcException">InvalidArgument (path ""), IO.</exception>
        public void Save(string path)
        {
            if (path == null)
                throw new ArgumentNullException("path");
            ThrowIfDisposed();
            WdcException.Check(WdcCapi.wdc_index_save(_handle, path));
        }

        /// <summary>The number of maps in the index.</summary>
        public long Count
        {
            get
            {
                ThrowIfDisposed();
                return _count;
            }
        }

        /// <summary>The native handle, for the calls of <see cref="Model"/> on this
        /// index.</summary>
        /// <exception cref="ObjectDisposedException">The index was disposed.</exception>
        internal IndexHandle Handle
        {
            get
            {
                ThrowIfDisposed();
                return _handle;
            }
        }

        /// <summary>Frees the native index, once no call on it is in flight. Calling it again
        /// does nothing; any other member then throws <see
        /// cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            _handle.Dispose();
        }

        private void ThrowIfDisposed()
        {
            if (_handle.IsClosed)
                throw new ObjectDisposedException(typeof(MapIndex).FullName);
        }
    }
}
