package org.fleettap.collector.control;

import io.grpc.stub.StreamObserver;
import java.util.Objects;
import org.fleettap.proto.v1.SessionServiceGrpc;
import org.fleettap.proto.v1.StartSessionRequest;
import org.fleettap.proto.v1.StartSessionResponse;
import org.fleettap.proto.v1.StopSessionRequest;
import org.fleettap.proto.v1.StopSessionResponse;

/** SessionService: starting and stopping sessions, served by a {@link ControlPlane}. */
public final class SessionServiceImpl extends SessionServiceGrpc.SessionServiceImplBase {
    private final ControlPlane plane;

    public SessionServiceImpl(ControlPlane plane) {
        this.plane = Objects.requireNonNull(plane, "plane");
    }

    @Override
    public void startSession(StartSessionRequest request, StreamObserver<StartSessionResponse> out) {
        Unary.respond("StartSession", out, () -> plane.start(request));
    }

    @Override
    public void stopSession(StopSessionRequest request, StreamObserver<StopSessionResponse> out) {
        Unary.respond("StopSession", out, () -> {
            plane.stop(request.getSessionId());
            return StopSessionResponse.getDefaultInstance();
        });
    }
}
