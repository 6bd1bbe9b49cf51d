package org.fleettap.collector.control;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Objects;
import org.fleettap.collector.auth.Caller;
import org.fleettap.proto.v1.AgentEvent;
import org.fleettap.proto.v1.AgentServiceGrpc;
import org.fleettap.proto.v1.ControlCommand;
import org.fleettap.proto.v1.HeartbeatRequest;
import org.fleettap.proto.v1.HeartbeatResponse;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.RegisterResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AgentService: registration, heartbeats and the control streams of agents, served by a {@link ControlPlane}. An agent
 * with a bound certificate ({@link Caller}) may register, heartbeat and say hello only as its own host:
 * PERMISSION_DENIED otherwise (for the control stream: the stream is closed with it).
 */
public final class AgentServiceImpl extends AgentServiceGrpc.AgentServiceImplBase {
    private static final Logger log = LoggerFactory.getLogger(AgentServiceImpl.class);
    private static final String SERVICE = AgentServiceGrpc.SERVICE_NAME;

    private final ControlPlane plane;

    public AgentServiceImpl(ControlPlane plane) {
        this.plane = Objects.requireNonNull(plane, "plane");
    }

    @Override
    public void register(RegisterRequest request, StreamObserver<RegisterResponse> out) {
        Caller caller = Caller.current();
        Unary.respond("Register", out, () -> {
            caller.requireHost(SERVICE, "register", request.getHostId());
            return plane.register(request);
        });
    }

    @Override
    public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
        Caller caller = Caller.current();
        Unary.respond("Heartbeat", out, () -> {
            caller.requireHost(SERVICE, "send heartbeats", request.getHostId());
            return plane.heartbeat(request);
        });
    }

    @Override
    public StreamObserver<AgentEvent> control(StreamObserver<ControlCommand> out) {
        Caller caller = Caller.current();
        AgentConnection c = plane.open((ServerCallStreamObserver<ControlCommand>) out);
        return new StreamObserver<>() {
            @Override
            public void onNext(AgentEvent event) {
                try {
                    if (event.hasHello()) {
                        caller.requireHost(SERVICE, "open the control stream", event.getHello().getHostId());
                    }
                    plane.event(c, event);
                } catch (StatusRuntimeException e) {
                    log.warn("closing the control stream of host '{}': {}", c.hostId(), e.getStatus().getDescription());
                    plane.closed(c, e.getStatus());
                } catch (RuntimeException e) {
                    log.error("control stream of host '{}': handling {} failed", c.hostId(), event.getEventCase(), e);
                    plane.closed(c, Status.INTERNAL.withDescription("handling " + event.getEventCase() + ": " + e));
                }
            }

            @Override
            public void onError(Throwable t) {
                log.debug("control stream of host '{}' failed", c.hostId(), t);
                plane.closed(c, null);
            }

            @Override
            public void onCompleted() {
                plane.closed(c, Status.OK);
            }
        };
    }
}
